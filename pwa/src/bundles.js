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
 * - `records` shadows bundles: a bundled copy whose key `records` holds is dead, and every read
 *   below takes the row in `records` instead (by household: by that row's own `hh`, so that a
 *   record moved to another household is no longer listed under the one its bundle names);
 * - a later pull writes a changed child record to `records` and leaves its bundle as it is (sync.js
 *   storePullPage, applyPullPage): a page of thousands of records scattered over every bundle
 *   rewrites none of them;
 * - a record leaves its bundle (`unbundle`, inside the writer's transaction, each bundle rewritten
 *   once per call) before its `records` row may be deleted, since a bundled copy would come back
 *   once that row is gone: so a pulled tombstone or eviction (those of a page at once), and every
 *   writer of records.js and outbox.js (an edit, a delete, a push result, a review flag), which
 *   then works on a `records` row as before; so a record with an outbox op has no bundled copy;
 * - a first sync never bundles a record `records` holds, and a record twice on its page only
 *   once, as the last (sync.js storePullPage, newestOfEach); a record on two pages of one first
 *   sync leaves the first one's bundle;
 * - signing out, a revocation and a full resync clear bundles with the records;
 * - a read below of a collection that may be bundled looks at `records` and `bundles` in one
 *   read-only transaction (`reading`), so that a record leaving its bundle meanwhile is found on
 *   one side or the other.
 *
 * Shadowed copies stay in their bundles (space only: a copy is a few hundred bytes) until the
 * record is written by an outbox writer, removed, or the phone syncs from scratch.
 *
 * A bundle holds its records as one JSON text (`text`: `[collection, id, fields, rev, meta]` of
 * each, its server state; `bundleRows` makes the rows again, as records.js `buildRecord` would).
 * A bundled row is always a server state with nothing pending, so that is all of it; and storing
 * one string costs the pull worker far less than a structured clone of 250 rows (IndexedDB clones
 * a value twice on a put, once to store it and once more to read its index keys). Bundles stored
 * before (`rows`, the rows themselves) are read as they are, and rewritten as text when a record
 * leaves them.
 *
 * Households, nominations and reference records are never bundled, so the reads of those (and
 * of `search`, `rv`) stay on `records`; a read that may meet a child record goes through here.
 */
import { CHILD_COLLECTIONS } from './collections.js';
import { inCollection } from './db.js';
import { buildRecord } from './records.js';

/** Child records per bundle row. */
export const BUNDLE_SIZE = 250;

/** Collections whose records may be bundled: a household's children. */
export const BUNDLED_COLLECTIONS = CHILD_COLLECTIONS;

/**
 * @param {string} collection
 * @param {string} id
 */
export const keyOf = (collection, id) => `${collection}/${id}`;

/**
 * Whether records of a collection may be in a bundle (a writer of any other has nothing to move).
 * @param {string} collection
 */
export const mayBeBundled = (collection) => BUNDLED_COLLECTIONS.includes(collection);

/**
 * Whether a row as a first sync stores it may go in a bundle.
 * @param {import('./db.js').LocalRecord} row
 */
export function bundleable(row) {
  return (
    mayBeBundled(row.collection) &&
    !row.rv &&
    row.patch === null &&
    !row.localDelete &&
    !!row.server &&
    !row.server.deleted
  );
}

/**
 * Bundle rows for stored rows, in their order: rows that `bundleable` allows (their server
 * state is all that is kept of them).
 * @param {import('./db.js').LocalRecord[]} rows
 * @returns {import('./db.js').Bundle[]}
 */
export function makeBundles(rows) {
  /** @type {import('./db.js').Bundle[]} */
  const out = [];
  for (let start = 0; start < rows.length; start += BUNDLE_SIZE) {
    const end = Math.min(rows.length, start + BUNDLE_SIZE);
    /** @type {any[]} */
    const packed = [];
    /** @type {string[]} */
    const keys = [];
    /** @type {Set<string>} */
    const hhs = new Set();
    for (let i = start; i < end; i++) {
      const r = rows[i];
      const server = /** @type {import('./db.js').ServerState} */ (r.server);
      packed.push([r.collection, r.id, server.fields, server.rev, server.meta]);
      keys.push(keyOf(r.collection, r.id));
      if (r.hh) hhs.add(keyOf(r.collection, `${r.hh}`));
    }
    out.push({ text: JSON.stringify(packed), keys, hhs: [...hhs] });
  }
  return out;
}

/**
 * The rows a bundle holds, in its order.
 * @param {import('./db.js').Bundle} b
 * @returns {import('./db.js').LocalRecord[]}
 */
export function bundleRows(b) {
  if (b.rows) return b.rows;
  return JSON.parse(/** @type {string} */ (b.text)).map(
    (/** @type {any[]} */ [collection, id, fields, rev, meta]) =>
      buildRecord(collection, id, { fields, rev, meta, deleted: false }, null, false),
  );
}

/**
 * Move records out of their bundles into `records` (a record already in `records` keeps that
 * row). Call inside a read-write transaction on records and bundles, before writing them, and
 * only with keys of collections that `mayBeBundled` (see there).
 *
 * Every function here returns Dexie's promise, chained, never a native async function's: inside
 * a transaction of the browser's IndexedDB, a native promise awaited some levels down lets the
 * transaction commit before the next request (Dexie's PrematureCommitError).
 * @param {import('./db.js').DoorstepDb} db
 * @param {[string, string][]} keys `[collection, id]`
 */
export function unbundle(db, keys) {
  const wanted = keys.filter(([c]) => mayBeBundled(c)).map(([c, i]) => keyOf(c, i));
  const moving = new Set(wanted);
  /** @type {import('./db.js').LocalRecord[]} */
  const moved = [];
  // Bundle numbers first (an index entry per key asked), then each bundle read once.
  return db.bundles
    .where('keys')
    .anyOf(wanted)
    .primaryKeys()
    .then((numbers) => (numbers.length ? db.bundles.bulkGet([...new Set(numbers)]) : []))
    .then((found) => {
      const bundles = /** @type {import('./db.js').Bundle[]} */ (found.filter(Boolean));
      /** @type {number[]} */
      const emptied = [];
      /** @type {import('./db.js').Bundle[]} */
      const kept = [];
      for (const b of bundles) {
        const keep = [];
        for (const r of bundleRows(b))
          (moving.has(keyOf(r.collection, r.id)) ? moved : keep).push(r);
        if (keep.length === 0) emptied.push(/** @type {number} */ (b.n));
        else kept.push({ ...makeBundles(keep)[0], n: b.n });
      }
      return db.bundles.bulkDelete(emptied).then(() => db.bundles.bulkPut(kept));
    })
    .then(() => db.records.bulkGet(moved.map((r) => [r.collection, r.id])))
    .then((there) => {
      const put = moved.filter((_, i) => !there[i]);
      return put.length ? db.records.bulkPut(put).then(() => undefined) : undefined;
    });
}

/**
 * The bundled rows of some keys (`collection/id`), by key.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string[]} wanted
 */
function bundledRows(db, wanted) {
  const want = new Set(wanted);
  return db.bundles
    .where('keys')
    .anyOf(wanted)
    .distinct()
    .toArray()
    .then((bundles) => {
      /** @type {Map<string, import('./db.js').LocalRecord>} */
      const found = new Map();
      for (const b of bundles)
        for (const r of bundleRows(b)) {
          const k = keyOf(r.collection, r.id);
          if (want.has(k)) found.set(k, r);
        }
      return found;
    });
}

/**
 * Rows of `records` with the bundled rows that `keep` accepts and `records` does not hold.
 * @param {import('./db.js').LocalRecord[]} rows
 * @param {import('./db.js').Bundle[]} bundles
 * @param {(r: import('./db.js').LocalRecord) => boolean} keep
 */
function withBundled(rows, bundles, keep) {
  const seen = new Set(rows.map((r) => keyOf(r.collection, r.id)));
  for (const b of bundles)
    for (const r of bundleRows(b)) {
      const k = keyOf(r.collection, r.id);
      if (keep(r) && !seen.has(k)) {
        seen.add(k);
        rows.push(r);
      }
    }
  return rows;
}

/**
 * Run a read of `records` and `bundles` in one read-only transaction, so that a writer moving a
 * record from a bundle to `records` (`unbundle`) is never seen half done (the record in neither);
 * inside a caller's transaction on both tables, in that one.
 * @template T
 * @param {import('./db.js').DoorstepDb} db
 * @param {() => Promise<T>} read
 * @returns {Promise<T>}
 */
function reading(db, read) {
  return db.transaction('r', db.records, db.bundles, read);
}

/**
 * One record, from `records` or its bundle.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} id
 * @returns {Promise<import('./db.js').LocalRecord|undefined>}
 */
export function getRecord(db, collection, id) {
  const k = keyOf(collection, id);
  if (!mayBeBundled(collection)) return db.records.get([collection, id]);
  return reading(db, () =>
    db.records
      .get([collection, id])
      .then((row) => row || bundledRows(db, [k]).then((found) => found.get(k))),
  );
}

/**
 * Records by key, in the order asked (undefined where there is none).
 * @param {import('./db.js').DoorstepDb} db
 * @param {[string, string][]} keys
 * @returns {Promise<(import('./db.js').LocalRecord|undefined)[]>}
 */
export function getRecords(db, keys) {
  return reading(db, () =>
    db.records.bulkGet(keys).then((rows) => {
      const missing = keys
        .filter(([c], i) => !rows[i] && mayBeBundled(c))
        .map(([c, id]) => keyOf(c, id));
      if (missing.length === 0) return rows;
      return bundledRows(db, missing).then((found) =>
        rows.map((r, i) => r ?? found.get(keyOf(keys[i][0], keys[i][1]))),
      );
    }),
  );
}

/**
 * The records of one collection that belong to a household (`hh`).
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} household
 * @returns {Promise<import('./db.js').LocalRecord[]>}
 */
export function householdRecords(db, collection, household) {
  const own = () => db.records.where('[collection+hh]').equals([collection, household]).toArray();
  if (!mayBeBundled(collection)) return own();
  return reading(db, () =>
    own().then((rows) =>
      db.bundles
        .where('hhs')
        .equals(keyOf(collection, household))
        .toArray()
        .then((bundles) => {
          const inBundles = withBundled(
            [],
            bundles,
            (r) => r.collection === collection && r.hh === household,
          );
          if (inBundles.length === 0) return rows;
          // A bundled copy whose key `records` holds is shadowed, wherever that row now
          // belongs (a record moved to another household is found there, by its own `hh`).
          return db.records
            .bulkGet(inBundles.map((r) => [r.collection, r.id]))
            .then((there) => rows.concat(inBundles.filter((_, i) => !there[i])));
        }),
    ),
  );
}

/**
 * Every record of a collection, in id order.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @returns {Promise<import('./db.js').LocalRecord[]>}
 */
export function collectionRecords(db, collection) {
  if (!mayBeBundled(collection)) return inCollection(db, collection).toArray();
  return reading(db, () =>
    inCollection(db, collection)
      .toArray()
      .then((rows) =>
        db.bundles
          .where('keys')
          .between(`${collection}/`, `${collection}/\uffff`)
          .distinct()
          .toArray()
          .then((bundles) =>
            bundles.length === 0
              ? rows
              : withBundled(rows, bundles, (r) => r.collection === collection).sort((a, b) =>
                  a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
                ),
          ),
      ),
  );
}

/**
 * How many records a collection holds.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @returns {Promise<number>}
 */
export function countRecords(db, collection) {
  if (!mayBeBundled(collection)) return inCollection(db, collection).count();
  return collectionRecords(db, collection).then((rows) => rows.length);
}
