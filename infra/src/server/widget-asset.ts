import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

/** The built widget and its precompressed forms, held in memory (about 200 KB together). */
interface WidgetFiles {
  plain: Buffer;
  br: Buffer | null;
  gzip: Buffer | null;
  etag: string;
}

function readIfPresent(file: string): Buffer | null {
  return fs.existsSync(file) ? fs.readFileSync(file) : null;
}

/**
 * Serves `GET /widget.js` (the embeddable chat widget from `web/build/widget/`) to any
 * site: CORS and Cross-Origin-Resource-Policy open (it is public code; pages may load it
 * with SRI or under COEP), brotli or gzip as the browser accepts, and an ETag. The URL is
 * unversioned (embeds never change), so browsers keep it five minutes and then revalidate.
 * Returns null when the widget was not built.
 */
export function loadWidgetAsset(dir: string): ((req: IncomingMessage, res: ServerResponse) => boolean) | null {
  const plain = readIfPresent(path.join(dir, 'widget.js'));
  if (!plain) return null;
  const files: WidgetFiles = {
    plain,
    br: readIfPresent(path.join(dir, 'widget.js.br')),
    gzip: readIfPresent(path.join(dir, 'widget.js.gz')),
    etag: `"${createHash('sha256').update(plain).digest('base64url').slice(0, 27)}"`,
  };
  return (req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/widget.js' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    res.setHeader('content-type', 'text/javascript; charset=utf-8');
    res.setHeader('cache-control', 'public, max-age=300, stale-while-revalidate=86400');
    res.setHeader('etag', files.etag);
    res.setHeader('vary', 'accept-encoding');
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('cross-origin-resource-policy', 'cross-origin');
    res.setHeader('x-content-type-options', 'nosniff');
    if (req.headers['if-none-match'] === files.etag) {
      res.writeHead(304).end();
      return true;
    }
    const accepts = String(req.headers['accept-encoding'] ?? '');
    const [body, encoding] =
      files.br && /\bbr\b/.test(accepts)
        ? [files.br, 'br']
        : files.gzip && /\bgzip\b/.test(accepts)
          ? [files.gzip, 'gzip']
          : [files.plain, null];
    if (encoding) res.setHeader('content-encoding', encoding);
    res.setHeader('content-length', String(body.length));
    res.writeHead(200).end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
