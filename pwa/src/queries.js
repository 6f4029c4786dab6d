/** Read-only questions the screens ask of the local database. */
import Dexie from 'dexie';
import { collectionRecords, householdRecords } from './bundles.js';
import { inCollection } from './db.js';
import { CHILD_COLLECTIONS, FLAGGED_STATUSES } from './records.js';
import { fold, queryMatcher } from './text.js';

/**
 * Neighbourhoods the user may pick, by code order. Admins see every quarter pulled.
 * @param {import('./db.js').DoorstepDb} db
 * @param {{role: string, quarters: string[]}|null|undefined} user
 */
export async function quartersInScope(db, user) {
  const rows = await inCollection(db, 'quarters').toArray();
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
  return inCollection(db, collection).toArray();
}

/**
 * Per database: every household's id and folded search text, in name order, read once and
 * dropped whenever a record changes (in this tab or another), so that typing a search costs a
 * pass over strings in memory instead of a read of every household.
 * @type {WeakMap<import('./db.js').DoorstepDb, {texts: [string, string][]|null, generation: number}>}
 */
const searchTexts = new WeakMap();

/**
 * The households' search texts, read now if they are not in memory (the search box calls this
 * when it gets focus, so the first letter typed finds them ready).
 * @param {import('./db.js').DoorstepDb} db
 * @returns {Promise<[string, string][]>}
 */
export async function householdTexts(db) {
  let entry = searchTexts.get(db);
  if (!entry) {
    const cache = { texts: /** @type {[string, string][]|null} */ (null), generation: 0 };
    const prefix = `idb://${db.name}/records/`;
    Dexie.on('storagemutated', (parts) => {
      if (Object.keys(parts).some((part) => part.startsWith(prefix))) {
        cache.texts = null;
        cache.generation += 1;
      }
    });
    searchTexts.set(db, cache);
    entry = cache;
  }
  if (entry.texts) return entry.texts;
  const generation = entry.generation;
  const rows = await db.records
    .where('[collection+search]')
    .between(['households', Dexie.minKey], ['households', Dexie.maxKey])
    .toArray();
  /** @type {[string, string][]} */
  const texts = rows.filter((r) => !r.localDelete).map((r) => [r.id, r.search]);
  if (entry.generation === generation) entry.texts = texts;
  return texts;
}

/**
 * @typedef {{query?: string, category?: string, followUp?: boolean, flagged?: boolean, quarter?: string}} HouseholdFilter
 */

/**
 * Households matching a filter, in name order (diacritics folded), at most `limit` of them, and
 * how many match in all. Reads from the `[collection+search]` index, so the unfiltered list (and
 * its re-query after every pulled page) only deserializes the rows on screen.
 * @param {import('./db.js').DoorstepDb} db
 * @param {HouseholdFilter} filter
 * @param {number} [limit]
 * @returns {Promise<{rows: import('./db.js').LocalRecord[], total: number}>}
 */
export async function findHouseholds(db, filter, limit = Infinity) {
  /** @type {Set<string>|null} */
  let followUp = null;
  if (filter.followUp) {
    const visits = await collectionRecords(db, 'visits');
    followUp = new Set(
      visits
        .filter((v) => v.fields.follow_up_needed && !v.localDelete)
        .map((v) => /** @type {string} */ (v.hh)),
    );
  }
  const flagged = filter.flagged ? await flaggedHouseholdIds(db) : null;
  const query = filter.query?.trim() ? filter.query : '';
  const matches = queryMatcher(query);
  const ordered = () =>
    db.records
      .where('[collection+search]')
      .between(['households', Dexie.minKey], ['households', Dexie.maxKey]);
  if (!filter.category && !filter.quarter && (query || flagged || followUp)) {
    // Search as the user types: over the texts in memory, then only the rows shown are read.
    // Counting the range makes a live query of this re-run when a household changes.
    const texts = await householdTexts(db);
    await ordered().count();
    /** @type {[string, string][]} */
    const hits = [];
    for (const [id, text] of texts)
      if (
        (!query || matches(text)) &&
        (!flagged || flagged.has(id)) &&
        (!followUp || followUp.has(id))
      )
        hits.push(['households', id]);
    const rows = await db.records.bulkGet(hits.slice(0, limit));
    return {
      rows: /** @type {import('./db.js').LocalRecord[]} */ (rows.filter((r) => r !== undefined)),
      total: hits.length,
    };
  }
  const filtered = !!(query || filter.category || flagged || followUp || filter.quarter);
  /** @param {import('./db.js').LocalRecord} r */
  const keep = (r) =>
    !r.localDelete &&
    (!filter.quarter || r.q === filter.quarter) &&
    (!query || matches(r.search)) &&
    (!filter.category || (r.fields.categories || []).includes(filter.category)) &&
    (!flagged || flagged.has(r.id)) &&
    (!followUp || followUp.has(r.id));
  const rows = await ordered().filter(keep).limit(limit).toArray();
  let total = rows.length;
  if (rows.length >= limit) {
    // Unfiltered: the index count (a household deleted on this phone but not yet synced may be
    // counted for a moment); filtered: one more pass over the matches.
    total = filtered
      ? await ordered().filter(keep).count()
      : await inCollection(db, 'households').count();
  }
  return { rows, total };
}

/**
 * Records a supervisor flagged (`has_issues` or `rejected`), from the `rv` index, without those
 * deleted on this phone.
 * @param {import('./db.js').DoorstepDb} db
 */
export async function flaggedRecords(db) {
  const rows = await db.records.where('rv').anyOf(FLAGGED_STATUSES).toArray();
  return rows.filter((r) => !r.localDelete);
}

/**
 * Households that are flagged themselves or have a flagged record (a visit, a registration, …).
 * @param {import('./db.js').DoorstepDb} db
 * @returns {Promise<Set<string>>}
 */
export async function flaggedHouseholdIds(db) {
  const ids = new Set();
  for (const r of await flaggedRecords(db)) {
    if (r.collection === 'households') ids.add(r.id);
    else if (CHILD_COLLECTIONS.includes(r.collection) && r.hh) ids.add(r.hh);
  }
  return ids;
}

/**
 * The "to fix" list: every flagged record with the household it belongs to, newest flag first.
 * `toFix` counts the records flagged `has_issues` that have no change of this phone's on them yet
 * (`rejected` ones are listed, not counted).
 * @param {import('./db.js').DoorstepDb} db
 */
export async function toFixList(db) {
  const rows = await flaggedRecords(db);
  const households = await db.records.bulkGet(
    rows.map((r) => /** @type {[string, string]} */ (['households', r.hh ?? ''])),
  );
  const items = rows.map((record, i) => ({
    record,
    household: record.collection === 'households' ? record : (households[i] ?? null),
    review: record.server?.meta?.review ?? {},
    fixed: record.patch !== null,
  }));
  const at = (/** @type {any} */ item) => item.review.at ?? '';
  items.sort((a, b) => (at(a) < at(b) ? 1 : at(a) > at(b) ? -1 : 0));
  return { items, toFix: rows.filter(stillToFix).length };
}

/**
 * A record flagged `has_issues` with no change of this phone's on it yet.
 * @param {import('./db.js').LocalRecord} r
 */
function stillToFix(r) {
  return r.rv === 'has_issues' && r.patch === null && !r.localDelete;
}

/**
 * How many flagged records wait for a fix (the header's "N to fix").
 * @param {import('./db.js').DoorstepDb} db
 */
export function toFixCount(db) {
  return db.records.where('rv').equals('has_issues').filter(stillToFix).count();
}

/**
 * Households in the same neighbourhood with the same head name and address, diacritics ignored.
 * A household's search text starts with its folded head name and address (records.js
 * `buildRecord`), so they are one short range of the `[collection+search]` index: only the
 * households with that name and address are read, whatever the size of the neighbourhood.
 * @param {import('./db.js').DoorstepDb} db
 * @param {{id: string, quarter_id: string, head_name: string, address: string}} h
 */
export async function possibleDuplicates(db, h) {
  if (!h.quarter_id || !h.head_name || !h.address) return [];
  const name = fold(h.head_name);
  const address = fold(h.address);
  const prefix = fold(`${h.head_name} ${h.address}`);
  const rows = await db.records
    .where('[collection+search]')
    .between(['households', prefix], ['households', `${prefix}\uffff`], true, true)
    .toArray();
  return rows.filter(
    (r) =>
      r.id !== h.id &&
      !r.localDelete &&
      r.q === h.quarter_id &&
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
  for (const c of CHILD_COLLECTIONS) {
    const rows = await householdRecords(db, c, householdId);
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
