import { z } from 'zod';

/** GET /api/v1/mail-settings. */
export const mailSettingsDtoSchema = z.object({
  /** Always routes to this tenant: support+<slug>@MAIL_DOMAIN. */
  supportAddress: z.string(),
  inboundAddress: z.string().nullable(),
  acceptUnknownSenders: z.boolean(),
  fromName: z.string().nullable(),
});
/** Mail settings DTO. */
export type MailSettingsDto = z.infer<typeof mailSettingsDtoSchema>;

/** PATCH /api/v1/mail-settings body. */
export const mailSettingsPatchSchema = z
  .object({
    acceptUnknownSenders: z.boolean(),
    inboundAddress: z.email().max(254).toLowerCase().nullable(),
    fromName: z.string().trim().min(1).max(100).nullable(),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');
/** Mail settings patch. */
export type MailSettingsPatch = z.infer<typeof mailSettingsPatchSchema>;

/** A parsed inbound mail, as the mail parser (workers/) hands it to the domain. */
export interface InboundMessage {
  /** Message-ID without brackets (a digest of the raw mail when it had none). */
  messageId: string;
  /** In-Reply-To and References ids, without brackets, nearest first. */
  threadIds: string[];
  from: { address: string; name: string | null };
  subject: string;
  /** Plain text with quoted history and signature trimmed. */
  text: string;
  /** Why this mail is automatic (auto-reply, bounce, loop), or null for a person's mail. */
  automated: string | null;
  attachments: Array<{ filename: string | null; content: Buffer }>;
}
