import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** The widget's size budget, gzipped (DESIGN §4c): aim for the target, the build fails past the limit. */
export const WIDGET_BUDGET = { targetBytes: 40 * 1024, limitBytes: 60 * 1024 } as const;

/** Sizes of a bundle as served. */
export interface BundleSize {
  raw: number;
  gzip: number;
  brotli: number;
}

/** Measures `code` raw, gzipped (level 9, what we serve) and brotli-compressed. */
export function measure(code: Buffer): { size: BundleSize; gzip: Buffer; brotli: Buffer } {
  const gzip = gzipSync(code, { level: 9 });
  const brotli = brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  return { size: { raw: code.length, gzip: gzip.length, brotli: brotli.length }, gzip, brotli };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/**
 * The line the build prints, and whether the bundle is within the limit. Over the target
 * is a warning; over the limit fails the build.
 */
export function verdict(size: BundleSize, budget = WIDGET_BUDGET): { ok: boolean; line: string } {
  const status =
    size.gzip > budget.limitBytes
      ? `OVER the ${kb(budget.limitBytes)} limit`
      : size.gzip > budget.targetBytes
        ? `over the ${kb(budget.targetBytes)} target (limit ${kb(budget.limitBytes)})`
        : `within the ${kb(budget.targetBytes)} target`;
  return {
    ok: size.gzip <= budget.limitBytes,
    line: `widget.js: ${kb(size.raw)} minified, ${kb(size.gzip)} gzipped, ${kb(size.brotli)} brotli — ${status}`,
  };
}
