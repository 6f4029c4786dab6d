/** Read-only questions the screens ask of the local database. */
import { fold, matchesQuery } from './text.js';

/**
 * Neighbourhoods the user may pick, by code order. Admins see every quarter pulled.
 * @param {import('./db.js').DoorstepDb} db
 * @param {{role: string, quarters: string[]}|null|undefined} user
 */
export async function quartersInScope(db, user) {
  const rows = await db.records.where('collection').equals('quarters').toArray();
  const mine = user && user.role !== 'admin' ? new Set(user.quarters) : null;
  return rows
    .filter((r) => !mine || mine.has(r.id))
    .map((r) => ({
      id: r.id,
      code: r.fields.code ?? '',
      name: r.fields.name ?? r.fields.code ?? r.id,
    }))
    .sort((a, b) => a.code.localeCompare(b.code, undefined, { numeric: true }));
}

/**
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 */
export async function referenceRecords(db, collection) {
  return db.records.where('collection').equals(collection).toArray();
}

/**
 * @typedef {{query?: string, category?: string, followUp?: boolean, flagged?: boolean, quarter?: string}} HouseholdFilter
 */

/**
 * Households matching a filter, sorted by head name (diacritics folded).
 * @param {import('./db.js').DoorstepDb} db
 * @param {HouseholdFilter} filter
 */
export async function findHouseholds(db, filter) {
  let rows = await db.records.where('collection').equals('households').toArray();
  rows = rows.filter((r) => !r.localDelete);
  if (filter.quarter) rows = rows.filter((r) => r.q === filter.quarter);
  if (filter.query)
    rows = rows.filter((r) => matchesQuery(r.search, /** @type {string} */ (filter.query)));
  if (filter.category)
    rows = rows.filter((r) => (r.fields.categories || []).includes(filter.category));
  if (filter.flagged)
    rows = rows.filter((r) => ['has_issues', 'rejected'].includes(r.server?.meta?.review?.status));
  if (filter.followUp) {
    const visits = await db.records.where('collection').equals('visits').toArray();
    const need = new Set(
      visits.filter((v) => v.fields.follow_up_needed && !v.localDelete).map((v) => v.hh),
    );
    rows = rows.filter((r) => need.has(r.id));
  }
  // `search` starts with the folded head name, so it doubles as the sort key.
  return rows.sort((a, b) => (a.search < b.search ? -1 : a.search > b.search ? 1 : 0));
}

/**
 * Households in the same neighbourhood with the same head name and address, diacritics ignored.
 * @param {import('./db.js').DoorstepDb} db
 * @param {{id: string, quarter_id: string, head_name: string, address: string}} h
 */
export async function possibleDuplicates(db, h) {
  if (!h.quarter_id || !h.head_name || !h.address) return [];
  const name = fold(h.head_name);
  const address = fold(h.address);
  const rows = await db.records
    .where('[collection+q]')
    .equals(['households', h.quarter_id])
    .toArray();
  return rows.filter(
    (r) =>
      r.id !== h.id &&
      !r.localDelete &&
      fold(r.fields.head_name) === name &&
      fold(r.fields.address) === address,
  );
}

/**
 * The child records of a household, by collection, newest first.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} householdId
 */
export async function householdChildren(db, householdId) {
  /** @type {Record<string, import('./db.js').LocalRecord[]>} */
  const out = {};
  for (const c of ['visits', 'registrations', 'support', 'assessments']) {
    const rows = await db.records.where('[collection+hh]').equals([c, householdId]).toArray();
    const dateOf = (/** @type {any} */ r) =>
      r.fields.visited_at ||
      r.fields.registered_on ||
      r.fields.given_on ||
      String(r.fields.year ?? '');
    out[c] = rows.filter((r) => !r.localDelete).sort((a, b) => (dateOf(a) < dateOf(b) ? 1 : -1));
  }
  return out;
}

/**
 * Outbox ops by record key `collection/id`, for "not sent" badges and conflict notices.
 * @param {import('./db.js').DoorstepDb} db
 */
export async function outboxByRecord(db) {
  /** @type {Map<string, import('./db.js').OutboxOp[]>} */
  const map = new Map();
  for (const op of await db.outbox.toArray()) {
    const k = `${op.collection}/${op.id}`;
    map.set(k, [...(map.get(k) || []), op]);
  }
  return map;
}
