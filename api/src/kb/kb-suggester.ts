import { Types } from 'mongoose';
import type { Models } from '../db/models.ts';
import type { SearchService } from '../search/search.service.ts';
import type { ArticleSuggester, ArticleSuggestion } from '../widget/widget.service.ts';
import type { KbService } from './kb.service.ts';

/** Longest snippet of body text around the match in a suggestion (characters). */
const SNIPPET_CHARS = 240;

/**
 * The widget's knowledge-base suggestions, from the article search with the public scope
 * forced (published public articles of the visitor's tenant only). Links point at the
 * portal's help center.
 */
export class KbArticleSuggester implements ArticleSuggester {
  constructor(
    private readonly models: Models,
    private readonly search: SearchService,
    private readonly kb: KbService,
    private readonly publicUrl: string,
  ) {}

  async suggest(tenantId: string, query: string, limit: number): Promise<ArticleSuggestion[]> {
    if (!query.trim()) return [];
    const tenant = new Types.ObjectId(tenantId);
    const result = await this.search.searchArticles(tenant, 'public', {
      q: query.slice(0, 200),
      sort: 'relevance',
      page: 1,
      hitsPerPage: Math.min(Math.max(limit, 1), 20),
    });
    if (result.hits.length === 0) return [];
    const found = await this.models.Tenant.findOne({ _id: tenant }, { slug: 1 }).lean<{ slug: string }>();
    if (!found) return [];
    const base = this.publicUrl.replace(/\/+$/, '');
    return result.hits.map((hit) => ({
      id: hit.article.id,
      title: hit.article.title,
      snippet: hit.highlights.body
        .map((s) => s.text)
        .join('')
        .slice(0, SNIPPET_CHARS),
      url: `${base}/t/${found.slug}/kb/${hit.article.id}`,
    }));
  }

  async exists(tenantId: string, articleId: string): Promise<boolean> {
    return this.kb.isPublicArticle(new Types.ObjectId(tenantId), articleId);
  }
}
