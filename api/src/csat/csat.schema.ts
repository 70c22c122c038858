import { z } from 'zod';

/** The one-click survey token in mail links. */
export const csatTokenSchema = z.string().regex(/^sbc_[A-Za-z0-9_-]{43}$/, 'not a survey token');

/** `:token` path parameter. */
export const csatTokenParams = z.object({ token: csatTokenSchema }).strict();

/** A rating: 1 (very unhappy) … 5 (very happy), with an optional comment. */
export const csatResponseSchema = z
  .object({
    score: z.number().int().min(1).max(5),
    comment: z.string().trim().max(2000).optional(),
  })
  .strict();
/** Rating input. */
export type CsatResponse = z.infer<typeof csatResponseSchema>;

/** What the survey page shows. */
export const csatSurveyDtoSchema = z.object({
  helpdesk: z.string(),
  ticketNumber: z.number(),
  subject: z.string(),
  score: z.number().nullable(),
  comment: z.string().nullable(),
  respondedAt: z.string().nullable(),
  /** After this the survey no longer takes answers. */
  openUntil: z.string(),
});
/** Survey DTO. */
export type CsatSurveyDto = z.infer<typeof csatSurveyDtoSchema>;

/** GET /api/v1/csat/summary query (default: the last 30 days). */
export const csatSummaryQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

/** Satisfaction figures for the manager dashboard. */
export const csatSummarySchema = z.object({
  from: z.string(),
  to: z.string(),
  surveysSent: z.number(),
  responses: z.number(),
  /** responses / surveys sent in the period (null when none was sent). */
  responseRate: z.number().nullable(),
  average: z.number().nullable(),
  /** Share of 4 and 5 among responses (the usual CSAT %), null without responses. */
  satisfied: z.number().nullable(),
  distribution: z.object({ '1': z.number(), '2': z.number(), '3': z.number(), '4': z.number(), '5': z.number() }),
  byAgent: z.array(z.object({ agentId: z.string().nullable(), name: z.string().nullable(), responses: z.number(), average: z.number() })),
});
/** Summary DTO. */
export type CsatSummary = z.infer<typeof csatSummarySchema>;
