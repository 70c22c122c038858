import { z } from 'zod';

/** Tenant slugs appear in URLs (/t/{slug}); lowercase letters, digits and dashes. */
export const tenantSlugSchema = z
  .string()
  .min(3)
  .max(40)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lowercase letters, digits and inner dashes only');

/** An IANA time zone that this runtime knows. */
export const timeZoneSchema = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'unknown IANA time zone');

/** A password: long enough to resist guessing, short enough to hash cheaply. */
export const passwordSchema = z.string().min(10, 'at least 10 characters').max(200);

/** POST /api/v1/tenants body. */
export const tenantSignupSchema = z
  .object({
    slug: tenantSlugSchema,
    name: z.string().trim().min(1).max(120),
    timezone: timeZoneSchema.default('UTC'),
    admin: z.object({ name: z.string().trim().min(1).max(120), email: z.email().max(254), password: passwordSchema }).strict(),
  })
  .strict();
/** Sign-up input. */
export type TenantSignup = z.infer<typeof tenantSignupSchema>;

/** A colour the widget puts into its stylesheet: six hex digits only, so nothing else can reach the CSS. */
const hexColor = z.string().regex(/^#[0-9a-f]{6}$/i, '#rrggbb');

/**
 * A site allowed to embed the widget: an origin (`https://shop.example.com`, with a port if
 * it is not the default), nothing more — the handshake's Origin header is compared exactly.
 */
export const widgetOriginSchema = z
  .url({ protocol: /^https?$/ })
  .max(200)
  .transform((value) => new URL(value).origin)
  .refine((origin) => origin !== 'null', 'an http(s) origin');

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM');

/** Tenant settings an admin may change. */
export const tenantSettingsPatchSchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    timezone: timeZoneSchema,
    businessHours: z
      .array(
        z
          .object({ weekday: z.number().int().min(1).max(7), intervals: z.array(z.object({ start: hhmm, end: hhmm }).strict()).max(6) })
          .strict(),
      )
      .max(7),
    customersSeeOrganisationTickets: z.boolean(),
    aiConfidenceThreshold: z.number().min(0).max(1),
    widgetAllowedOrigins: z.array(widgetOriginSchema).max(50),
    widgetRequireVerifiedIdentity: z.boolean(),
    widgetPrimaryColor: hexColor,
    widgetTextColor: hexColor,
    widgetGreeting: z.string().trim().min(1).max(280),
  })
  .partial()
  .strict();
/** Settings patch. */
export type TenantSettingsPatch = z.infer<typeof tenantSettingsPatchSchema>;

/** Tenant as the API shows it to staff (secrets never leave the server). */
export const tenantDtoSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  timezone: z.string(),
  businessHours: z.array(z.object({ weekday: z.number(), intervals: z.array(z.object({ start: z.string(), end: z.string() })) })),
  widgetKey: z.string(),
  settings: z.object({
    customersSeeOrganisationTickets: z.boolean(),
    aiConfidenceThreshold: z.number(),
    widgetAllowedOrigins: z.array(z.string()),
    widgetRequireVerifiedIdentity: z.boolean(),
    widgetPrimaryColor: z.string(),
    widgetTextColor: z.string(),
    widgetGreeting: z.string(),
  }),
  createdAt: z.string(),
});
/** Tenant DTO. */
export type TenantDto = z.infer<typeof tenantDtoSchema>;
