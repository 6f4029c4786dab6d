/**
 * Bundles: the child records a first sync stored many to an IndexedDB row, and the one module
 * that reads a record wherever it is stored.
 *
 * IndexedDB's cost of a put hardly depends on the row's size, so a first sync of a hundred
 * thousand records is mostly its count of rows. On a first sync only, the pull worker stores the
 * child records (visits, registrations, support, assessments) that have no outbox op, no review
 * flag and nothing pending as `bundles` rows of up to BUNDLE_SIZE records each (sync.js
 * storePullPage), each row found by the multiEntry indexes `keys` (`collection/id` of each record
 * it holds) and `hhs` (`collection/household` of each).
 *
 * Rules, so that nothing typed is ever hidden or lost:
 * - a record is in `records` or in one bundle, never both for long: any write to a record moves
 *   it out of its bundle into `records` first (`unbundle`, inside the writer's transaction), so
 *   every writer (an edit, a delete, a push result, a later pull page, a tombstone, an eviction,
 *   a review flag) works on a `records` row as before;
 * - should both hold it, `records` wins in every read below;
 * - signing out, a revocation and a full resync clear bundles with the records.
 *
 * Households, nominations and reference records are never bundled, so the reads of those (and
 * of `search`, `rv`) stay on `records`; a read that may meet a child record goes through here.
 */
import { inCollection } from './db.js';

/** Child records per bundle row. */
export const BUNDLE_SIZE = 250;

/** Collections whose records may be bundled. */
export const BUNDLED_COLLECTIONS = ['visits', 'registrations', 'support', 'assessments'];

/**
 * @param {string} collection
 * @param {string} id
 */
export const keyOf = (collection, id) => `${collection}/${id}`;

/**
 * Whether records of a collection may be in a bundle. A writer awaits `unbundle` only for those:
 * inside a Dexie transaction, the first thing awaited must be a database request.
 * @param {string} collection
 */
export const mayBeBundled = (collection) => BUNDLED_COLLECTIONS.includes(collection);

/**
 * Whether a row as a first sync stores it may go in a bundle.
 * @param {import('./db.js').LocalRecord} row
 */
export function bundleable(row) {
  return (
    BUNDLED_COLLECTIONS.includes(row.collection) &&
    !row.rv &&
    row.patch === null &&
    !row.localDelete &&
    !!row.server
  );
}

/**
 * Bundle rows for stored rows, in their order.
 * @param {import('./db.js').LocalRecord[]} rows
 * @returns {import('./db.js').Bundle[]}
 */
export function makeBundles(rows) {
  /** @type {import('./db.js').Bundle[]} */
  const out = [];
  for (let start = 0; start < rows.length; start += BUNDLE_SIZE) {
    const part = rows.slice(start, start + BUNDLE_SIZE);
    out.push({
      rows: part,
      keys: part.map((r) => keyOf(r.collection, r.id)),
      hhs: [...new Set(part.filter((r) => r.hh).map((r) => keyOf(r.collection, `${r.hh}`)))],
    });
  }
  return out;
}

/**
 * Move records out of their bundles into `records` (a record already in `records` keeps that
 * row). Call inside a read-write transaction on records and bundles, before writing them, and
 * only with keys of collections that `mayBeBundled` (see there).
 * @param {import('./db.js').DoorstepDb} db
 * @param {[string, string][]} keys `[collection, id]`
 */
export async function unbundle(db, keys) {
  const wanted = keys.filter(([c]) => mayBeBundled(c)).map(([c, i]) => keyOf(c, i));
  if (wanted.length === 0) return;
  const bundles = await db.bundles.where('keys').anyOf(wanted).distinct().toArray();
  if (bundles.length === 0) return;
  const moving = new Set(wanted);
  /** @type {import('./db.js').LocalRecord[]} */
  const moved = [];
  for (const b of bundles) {
    const keep = [];
    for (const r of b.rows) (moving.has(keyOf(r.collection, r.id)) ? moved : keep).push(r);
    if (keep.length === 0) await db.bundles.delete(/** @type {number} */ (b.n));
    else await db.bundles.put({ ...makeBundles(keep)[0], n: b.n });
  }
  const there = await db.records.bulkGet(moved.map((r) => [r.collection, r.id]));
  const put = moved.filter((_, i) => !there[i]);
  if (put.length) await db.records.bulkPut(put);
}

/**
 * The bundled rows of some keys (`collection/id`), by key.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string[]} wanted
 */
async function bundledRows(db, wanted) {
  /** @type {Map<string, import('./db.js').LocalRecord>} */
  const found = new Map();
  if (wanted.length === 0) return found;
  const want = new Set(wanted);
  const bundles = await db.bundles.where('keys').anyOf(wanted).distinct().toArray();
  for (const b of bundles)
    for (const r of b.rows) {
      const k = keyOf(r.collection, r.id);
      if (want.has(k)) found.set(k, r);
    }
  return found;
}

/**
 * One record, from `records` or its bundle.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} id
 * @returns {Promise<import('./db.js').LocalRecord|undefined>}
 */
export async function getRecord(db, collection, id) {
  const row = await db.records.get([collection, id]);
  if (row || !BUNDLED_COLLECTIONS.includes(collection)) return row;
  return (await bundledRows(db, [keyOf(collection, id)])).get(keyOf(collection, id));
}

/**
 * Records by key, in the order asked (undefined where there is none).
 * @param {import('./db.js').DoorstepDb} db
 * @param {[string, string][]} keys
 * @returns {Promise<(import('./db.js').LocalRecord|undefined)[]>}
 */
export async function getRecords(db, keys) {
  const rows = await db.records.bulkGet(keys);
  const missing = keys
    .filter(([c], i) => !rows[i] && BUNDLED_COLLECTIONS.includes(c))
    .map(([c, id]) => keyOf(c, id));
  if (missing.length === 0) return rows;
  const found = await bundledRows(db, missing);
  return rows.map((r, i) => r ?? found.get(keyOf(keys[i][0], keys[i][1])));
}

/**
 * The records of one collection that belong to a household (`hh`).
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} household
 * @returns {Promise<import('./db.js').LocalRecord[]>}
 */
export async function householdRecords(db, collection, household) {
  const rows = await db.records.where('[collection+hh]').equals([collection, household]).toArray();
  if (!BUNDLED_COLLECTIONS.includes(collection)) return rows;
  const bundles = await db.bundles.where('hhs').equals(keyOf(collection, household)).toArray();
  const seen = new Set(rows.map((r) => r.id));
  for (const b of bundles)
    for (const r of b.rows)
      if (r.collection === collection && r.hh === household && !seen.has(r.id)) {
        seen.add(r.id);
        rows.push(r);
      }
  return rows;
}

/**
 * Every record of a collection, in id order.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @returns {Promise<import('./db.js').LocalRecord[]>}
 */
export async function collectionRecords(db, collection) {
  const rows = await inCollection(db, collection).toArray();
  if (!BUNDLED_COLLECTIONS.includes(collection)) return rows;
  const bundles = await db.bundles
    .where('keys')
    .between(`${collection}/`, `${collection}/\uffff`)
    .distinct()
    .toArray();
  if (bundles.length === 0) return rows;
  const seen = new Set(rows.map((r) => r.id));
  for (const b of bundles)
    for (const r of b.rows)
      if (r.collection === collection && !seen.has(r.id)) {
        seen.add(r.id);
        rows.push(r);
      }
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * How many records a collection holds.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 */
export async function countRecords(db, collection) {
  if (!BUNDLED_COLLECTIONS.includes(collection)) return inCollection(db, collection).count();
  return (await collectionRecords(db, collection)).length;
}
