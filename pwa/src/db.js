/**
 * The only module that owns IndexedDB. One Dexie database, opened once, with cumulative
 * versioned schema steps.
 *
 * Tables
 * - records: one row per synced record, `[collection+id]`. `server` holds the last state the server
 *   sent (fields, rev, meta), `patch` the pending local fields (merge of outbox ops), `fields` the
 *   overlay the UI shows (`{...server.fields, ...patch}`; the server's fields object itself when
 *   nothing is pending). `hh` is the household id of a child record and `search` the folded
 *   text of a household or nomination, for indexed lookups (null for other records, which then
 *   have no entry in those indexes); `q` is a household's neighbourhood (not indexed); `rv` is
 *   the review status of a record a supervisor flagged (`has_issues`, `rejected`), absent
 *   otherwise, so flagged work is one lookup.
 * - outbox: operations waiting for (or refused by) the server, in the order they were made.
 * - meta: key/value (session, device id, pull cursor, last sync, language, the changes handed to an
 *   admin and what became of them: `stranded`).
 * - drafts: what is typed in a form and not saved yet, one row per form (`key`); never pushed.
 * - photos: photos of visits, support and assessments, reduced, with their record
 *   (`[collection+record]`) and upload state (see photos.js).
 * - bundles: child records a first sync stored up to 250 to a row (`text`, their server states as
 *   JSON; `rows`, each shaped as in `records`, in bundles stored before), found by the multiEntry
 *   indexes `keys` (`collection/id`) and `hhs` (`collection/household`); `records` is the overlay
 *   that always wins. Read and written only through bundles.js (and the pull worker's sync.js
 *   storePullPage).
 */
import Dexie from 'dexie';
import { reviewFlag } from './records.js';

/**
 * @typedef {{fields: Record<string, any>, rev: number, meta: Record<string, any>|null, deleted: boolean}} ServerState
 * @typedef {{collection: string, id: string, server: ServerState|null, patch: Record<string, any>|null,
 *   localDelete: boolean, fields: Record<string, any>, hh: string|null, q: string|null, search: string|null,
 *   rv?: string}} LocalRecord
 * @typedef {'pending'|'sending'|'rejected'|'conflict'} OpState
 * @typedef {{seq?: number, op_id: string, collection: string, id: string, base_rev: number|null,
 *   fields: Record<string, any>|null, delete: boolean, state: OpState, attempts: number,
 *   client_time: string, code?: string|null, errors?: any, message?: string|null,
 *   conflict_id?: string|null, about?: About|null}} OutboxOp
 * @typedef {{name: string, quarter: string}} About whom a refused change is about, and its
 *   neighbourhood, named when the server refused it (the records may be gone from the phone later)
 * @typedef {{op_id: string, collection: string, id: string, about: About|null,
 *   state: 'escalated'|'applied'|'declined', reason?: string|null, at: string|null}} StrandedChange
 * @typedef {{key: string, collection: string, recordId: string, householdId: string|null,
 *   path: string, title: string, form: Record<string, any>, base: Record<string, any>, at: string}} Draft
 * @typedef {{n?: number, text?: string, rows?: LocalRecord[], keys: string[], hhs: string[]}} Bundle
 *   `text`: the records' server states as JSON (bundles.js); `rows`: the rows themselves, as
 *   bundles were stored before
 * @typedef {Dexie & {records: Dexie.Table<LocalRecord, [string, string]>,
 *   bundles: Dexie.Table<Bundle, number>,
 *   outbox: Dexie.Table<OutboxOp, number>, meta: Dexie.Table<{key: string, value: any}, string>,
 *   drafts: Dexie.Table<Draft, string>,
 *   photos: Dexie.Table<import('./photos.js').Photo, string>}} DoorstepDb
 */

/**
 * Open (or create/migrate) the database. Call once per name.
 * @param {string} [name]
 * @returns {DoorstepDb}
 */
export function openDb(name = 'doorstep') {
  const db = /** @type {DoorstepDb} */ (new Dexie(name));
  // Version 1: the first schema. Later versions add `.version(N).stores(...).upgrade(...)`
  // below, each step written for data of version N-1 (Dexie applies them cumulatively).
  db.version(1).stores({
    records: '[collection+id], collection, [collection+hh], [collection+q]',
    outbox: '++seq, &op_id, [collection+id], state',
    meta: 'key',
  });
  // Version 2: households listed in name order straight from an index (`search` starts with the
  // folded head name), so the list reads only the rows it shows. No data change needed.
  db.version(2).stores({
    records: '[collection+id], collection, [collection+hh], [collection+q], [collection+search]',
  });
  // Version 3: flagged records found from an index (`rv`), for the "to fix" list and badges.
  db.version(3)
    .stores({
      records:
        '[collection+id], collection, [collection+hh], [collection+q], [collection+search], rv',
    })
    .upgrade((tx) =>
      tx
        .table('records')
        .toCollection()
        .modify((/** @type {LocalRecord} */ r) => {
          const rv = reviewFlag(r.server);
          if (rv) r.rv = rv;
        }),
    );
  // Version 4: drafts of forms, kept as the user types.
  db.version(4).stores({ drafts: 'key' });
  // Version 5: photos, kept with their record until uploaded (and after, until dropped).
  db.version(5).stores({ photos: 'id, [collection+record], state' });
  // Version 6: no `collection` index: a collection is a range of the primary key
  // (`inCollection`), and every record written costs one index entry less.
  db.version(6).stores({
    records: '[collection+id], [collection+hh], [collection+q], [collection+search], rv',
  });
  // Version 7: no `[collection+q]` index: the one lookup by neighbourhood (possible duplicates of
  // a household) is a range of `[collection+search]`, and every household written costs one index
  // entry less. `q` stays on the row (the list's neighbourhood filter and names read it).
  db.version(7).stores({
    records: '[collection+id], [collection+hh], [collection+search], rv',
  });
  // Version 8: bundles of child records (see bundles.js). Existing records stay where they are.
  db.version(8).stores({ bundles: '++n, *keys, *hhs' });
  return db;
}

/**
 * The records of one collection: a range of the primary key `[collection+id]`.
 * @param {DoorstepDb} db
 * @param {string} collection
 */
export function inCollection(db, collection) {
  return db.records
    .where('[collection+id]')
    .between([collection, Dexie.minKey], [collection, Dexie.maxKey]);
}

/** @type {DoorstepDb|null} */
let appDb = null;

/** The app's database, opened on first use. */
export function getDb() {
  if (!appDb) appDb = openDb();
  return appDb;
}

/**
 * Read a meta value.
 * @param {DoorstepDb} db
 * @param {string} key
 */
export async function getMeta(db, key) {
  const row = await db.meta.get(key);
  return row ? row.value : undefined;
}

/**
 * Write a meta value (undefined deletes it).
 * @param {DoorstepDb} db
 * @param {string} key
 * @param {any} value
 */
export async function setMeta(db, key, value) {
  if (value === undefined) await db.meta.delete(key);
  else await db.meta.put({ key, value });
}

/**
 * Whether an error is the browser saying the storage is full.
 * @param {any} err
 */
export function isQuotaError(err) {
  const name = err?.name || err?.inner?.name || '';
  return name === 'QuotaExceededError' || name === 'Dexie.QuotaExceededError';
}

/**
 * Ask the browser to keep the app's storage (never clear it when the phone runs low) unless it
 * already does. Resolves to whether it does, or null where the browser cannot say.
 * @param {StorageManager|undefined} [storage]
 * @returns {Promise<boolean|null>}
 */
export async function keepStorage(storage = globalThis.navigator?.storage) {
  if (!storage?.persisted || !storage.persist) return null;
  try {
    return (await storage.persisted()) || (await storage.persist());
  } catch {
    return null;
  }
}
