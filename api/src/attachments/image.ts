import sharp from 'sharp';

/** Image types we decode and re-encode, with the format each is written back as. */
const OUTPUT: Record<string, { format: 'jpeg' | 'png' | 'webp' | 'gif'; contentType: string; extension: string }> = {
  'image/jpeg': { format: 'jpeg', contentType: 'image/jpeg', extension: 'jpg' },
  'image/png': { format: 'png', contentType: 'image/png', extension: 'png' },
  'image/webp': { format: 'webp', contentType: 'image/webp', extension: 'webp' },
  'image/gif': { format: 'gif', contentType: 'image/gif', extension: 'gif' },
  // Formats browsers show poorly (or not at all) become PNG.
  'image/tiff': { format: 'png', contentType: 'image/png', extension: 'png' },
  'image/avif': { format: 'png', contentType: 'image/png', extension: 'png' },
};

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 320;

/** True for sniffed types {@link processImage} handles. */
export function isReencodedImage(contentType: string): boolean {
  return contentType in OUTPUT;
}

/** The image has more pixels than allowed (a decompression bomb, or just too big). */
export class ImageTooLargeError extends Error {
  constructor(
    readonly pixels: number,
    readonly maxPixels: number,
  ) {
    super(`image has ${pixels} pixels; the limit is ${maxPixels}`);
    this.name = 'ImageTooLargeError';
  }
}

/** The bytes looked like an image but do not decode. */
export class UnreadableImageError extends Error {
  constructor(cause: unknown) {
    super(`image could not be decoded: ${(cause as Error).message}`);
    this.name = 'UnreadableImageError';
  }
}

/** A re-encoded image and its thumbnail. */
export interface ProcessedImage {
  data: Buffer;
  contentType: string;
  extension: string;
  width: number;
  height: number;
  thumbnail: { data: Buffer; contentType: string; width: number; height: number };
}

/**
 * Decodes an uploaded image and writes it out again: orientation applied, every piece of
 * metadata (EXIF with GPS and camera, XMP, ICC comments) dropped, anything hidden after the
 * image data gone. The pixel count is checked from the header before decoding, and sharp's
 * own `limitInputPixels` guards the decoder as well, so a small file that unpacks to
 * gigapixels is refused without being expanded.
 */
export async function processImage(input: Buffer, sniffedType: string, maxPixels: number): Promise<ProcessedImage> {
  const output = OUTPUT[sniffedType];
  if (!output) throw new UnreadableImageError(new Error(`unsupported image type ${sniffedType}`));
  const animated = output.format === 'gif';
  const open = (options: { animated: boolean }) =>
    sharp(input, { limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true, ...options });

  let metadata: sharp.Metadata;
  try {
    // Reading the header decodes no pixels, so it may look at an image over the limit.
    metadata = await sharp(input, { limitInputPixels: false, animated }).metadata();
  } catch (error) {
    throw new UnreadableImageError(error);
  }
  const frameHeight = metadata.pageHeight ?? metadata.height ?? 0;
  const pixels = (metadata.width ?? 0) * frameHeight * (animated ? (metadata.pages ?? 1) : 1);
  if (pixels > maxPixels) throw new ImageTooLargeError(pixels, maxPixels);

  try {
    const encoder = open({ animated }).rotate();
    const encoded =
      output.format === 'jpeg'
        ? encoder.jpeg({ quality: 85, mozjpeg: true })
        : output.format === 'webp'
          ? encoder.webp({ quality: 85 })
          : output.format === 'gif'
            ? encoder.gif()
            : encoder.png();
    const main = await encoded.toBuffer({ resolveWithObject: true });
    const thumb = await open({ animated: false })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 })
      .toBuffer({ resolveWithObject: true });
    return {
      data: main.data,
      contentType: output.contentType,
      extension: output.extension,
      width: main.info.width,
      height: animated ? (main.info.pageHeight ?? main.info.height) : main.info.height,
      thumbnail: { data: thumb.data, contentType: 'image/webp', width: thumb.info.width, height: thumb.info.height },
    };
  } catch (error) {
    if (/pixel limit/i.test((error as Error).message)) throw new ImageTooLargeError(pixels, maxPixels);
    throw new UnreadableImageError(error);
  }
}
