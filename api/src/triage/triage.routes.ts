import { z } from 'zod';
import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';

const dayRow = z.object({ day: z.string(), classified: z.number(), applied: z.number(), reviewed: z.number(), correct: z.number() });

/** Triage accuracy over time (agents' confirmations and corrections), for admins and managers. */
export function triageRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/triage/accuracy',
    {
      schema: {
        tags: ['triage'],
        summary: 'Daily triage figures and accuracy (share of predictions agents kept)',
        querystring: z.object({ days: z.coerce.number().int().min(1).max(365).default(30) }).strict(),
        response: {
          200: z.object({ days: z.array(dayRow), totals: dayRow.omit({ day: true }).extend({ accuracy: z.number().nullable() }) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const result = await domain.triage.accuracy(ctxOf(request), request.query.days);
      return {
        days: result.days.map((d) => ({
          day: d.day,
          classified: d.classified,
          applied: d.applied,
          reviewed: d.reviewed,
          correct: d.correct,
        })),
        totals: result.totals,
      };
    },
  );
}
