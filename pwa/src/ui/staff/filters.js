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

/** The queue opens on what waits for a supervisor; `review=all` in the address shows every status. */
const DEFAULT_REVIEW = 'pending';

/** Filters from the address bar, so that Back from a record returns to the same list. */
export function filtersFromSearch(/** @type {string} */ search) {
  const p = new URLSearchParams(search);
  /** @type {Record<string, string>} */
  const f = { collection: 'households', review: DEFAULT_REVIEW };
  for (const k of FILTER_KEYS) if (p.get(k)) f[k] = /** @type {string} */ (p.get(k));
  if (!REVIEW_COLLECTIONS.includes(/** @type {any} */ (f.collection))) f.collection = 'households';
  return { filters: f, page: Math.max(0, Number(p.get('page')) || 0) };
}

/**
 * The list request for these filters: `review=all` asks for every status.
 * @param {Record<string, string>} filters
 */
export function recordQuery(filters) {
  const { review, ...rest } = filters;
  return /** @type {import('../../staff-api.js').RecordQuery} */ ({
    ...rest,
    review: review === 'all' ? undefined : review,
  });
}
