import type { Domain } from '../domain.ts';
import { ctxOf } from '../http/auth.plugin.ts';
import { errorResponses, errorSchema } from '../http/route-schemas.ts';
import type { HttpServer } from '../http/server.ts';
import {
  articleSearchQuerySchema,
  articleSearchResultSchema,
  helpSearchQuerySchema,
  ticketSearchQuerySchema,
  ticketSearchResultSchema,
} from './search.schema.ts';

/** 503 when the search engine cannot be reached: search fails alone, the rest of the API keeps working. */
const searchErrors = { ...errorResponses, 503: errorSchema };

/**
 * Search: tickets (staff) and articles (staff: everything; customers: published public
 * articles) of the caller's own tenant, and the public help center's article search by
 * tenant slug. Filters, facets and text come from the client; the tenant and the scope never do.
 */
export function searchRoutes(app: HttpServer, domain: Domain): void {
  app.get(
    '/search/tickets',
    {
      schema: {
        tags: ['search'],
        summary: 'Search tickets: full text with typos and prefixes, filters, facets, highlights',
        querystring: ticketSearchQuerySchema,
        response: { 200: ticketSearchResultSchema, ...searchErrors },
      },
    },
    async (request) => domain.search.tickets(ctxOf(request), request.query),
  );
  app.get(
    '/search/articles',
    {
      schema: {
        tags: ['search'],
        summary: 'Search knowledge-base articles (customers: published public ones)',
        querystring: articleSearchQuerySchema,
        response: { 200: articleSearchResultSchema, ...searchErrors },
      },
    },
    async (request) => domain.search.articles(ctxOf(request), request.query),
  );
  app.get(
    '/help/search',
    {
      config: { auth: { mode: 'none' } },
      schema: {
        tags: ['help center'],
        summary: 'Search the published public articles of a help center',
        querystring: helpSearchQuerySchema,
        response: { 200: articleSearchResultSchema, ...searchErrors },
      },
    },
    async (request) => domain.search.helpCenter(request.query),
  );
}
