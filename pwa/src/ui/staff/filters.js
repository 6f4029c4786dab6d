/** The review queue's filters, kept in the address bar. */
import { REVIEW_COLLECTIONS } from '../../staff-api.js';

export const FILTER_KEYS = [
  'collection',
  'quarter',
  'review',
  'q',
  'created_by',
  'date_from',
  'date_to',
];

/** Filters from the address bar, so that Back from a record returns to the same list. */
export function filtersFromSearch(/** @type {string} */ search) {
  const p = new URLSearchParams(search);
  /** @type {Record<string, string>} */
  const f = { collection: 'households' };
  for (const k of FILTER_KEYS) if (p.get(k)) f[k] = /** @type {string} */ (p.get(k));
  if (!REVIEW_COLLECTIONS.includes(/** @type {any} */ (f.collection))) f.collection = 'households';
  return { filters: f, page: Math.max(0, Number(p.get('page')) || 0) };
}
