/**
 * Qualities tried in turn, best first, until the photo is at most a tenth over the size wanted.
 * Below the last one JPEG's blocks make a paper or a face hard to read, so a photo with more
 * detail than that quality can hold in the size stays larger rather than become unreadable.
 */
const QUALITIES = [0.8, 0.7, 0.6, 0.5, 0.4];

/**
 * Reduce a photo: decoded with its orientation applied, drawn at most `maxSide` pixels on its
 * longest side, and encoded again as JPEG near `targetBytes`.
 * Encoding from the pixels leaves every EXIF tag behind (location, camera). Runs in the photo
 * worker (photo-worker.js); it imports nothing, so the photo bench can load it on its own.
 *
 * @param {Blob} file
 * @param {number} maxSide
 * @param {number} targetBytes
 */
export async function reduce(file, maxSide, targetBytes) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const context = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  // JPEG: every browser encodes it, quickly (WebP took five times as long in Chromium, and came
  // out no smaller for a detailed photo).
  let blob = new Blob();
  for (const quality of QUALITIES) {
    blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
    if (blob.size <= targetBytes * 1.1) break;
  }
  const data = await blob.arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return { data, type: blob.type, size: data.byteLength, sha256, width, height };
}
