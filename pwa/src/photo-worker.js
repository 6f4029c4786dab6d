/**
 * The photo worker: reduces a photo (reduce.js) off the page's thread, so the page stays
 * responsive, and answers the bytes, their SHA-256 and the size in pixels.
 */
import { reduce } from './reduce.js';

self.onmessage = async (/** @type {MessageEvent} */ event) => {
  const { file, maxSide, targetBytes } = event.data;
  try {
    const reduced = await reduce(file, maxSide, targetBytes);
    self.postMessage({ ok: true, reduced }, { transfer: [reduced.data] });
  } catch (err) {
    self.postMessage({ ok: false, message: String(err) });
  }
};
