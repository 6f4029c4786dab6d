/**
 * Local records: the last server state with the pending local patch laid over it.
 * Functions that write take the database and are meant to be called inside a transaction
 * that the caller opened on `records` and `bundles` (and `outbox` where noted): each first moves
 * its record out of a bundle (bundles.js `unbundle`).
 */
import { mayBeBundled, unbundle } from './bundles.js';
import { CHILD_COLLECTIONS, REFERENCE_COLLECTIONS } from './collections.js';
import { fold } from './text.js';

export { CHILD_COLLECTIONS, REFERENCE_COLLECTIONS };

/** Review statuses that send a record back to field staff (§2). */
export const FLAGGED_STATUSES = ['has_issues', 'rejected'];

/**
 * The review status of a record a supervisor flagged, or undefined.
 * @param {{meta?: Record<string, any>|null}|null|undefined} server
 */
export function reviewFlag(server) {
  const status = server?.meta?.review?.status;
  return FLAGGED_STATUSES.includes(status) ? status : undefined;
}

/**
 * The fields the UI shows: the server's fields with the pending patch on top.
 * @param {Record<string, any>|null|undefined} serverFields
 * @param {Record<string, any>|null|undefined} patch
 */
export function overlay(serverFields, patch) {
  return { ...(serverFields || {}), ...(patch || {}) };
}

/**
 * Build the stored row of a record from its parts, deriving the indexed columns.
 * @param {string} collection
 * @param {string} id
 * @param {import('./db.js').ServerState|null} server
 * @param {Record<string, any>|null} patch
 * @param {boolean} localDelete
 * @returns {import('./db.js').LocalRecord}
 */
export function buildRecord(collection, id, server, patch, localDelete) {
  const pending = patch && Object.keys(patch).length ? patch : null;
  // With nothing pending the overlay is the server's fields themselves: the same object, which
  // IndexedDB stores once (a structured clone keeps shared references), not a second copy.
  const fields = pending || !server?.fields ? overlay(server?.fields, pending) : server.fields;
  const households = collection === 'households';
  /** @type {import('./db.js').LocalRecord} */
  const row = {
    collection,
    id,
    server,
    patch: pending,
    localDelete,
    fields,
    hh: fields.household_id ?? null,
    // `q` and `search` are only read for the collections below; null elsewhere, so that no index
    // entry is written for `search` (null is not an IndexedDB key). A household's search text
    // starts with its head name and address: possible duplicates are a range of it (queries.js).
    q: households ? (fields.quarter_id ?? server?.meta?.quarter_id ?? null) : null,
    search: households
      ? fold(`${fields.head_name ?? ''} ${fields.address ?? ''} ${fields.phone ?? ''}`)
      : collection === 'nominations'
        ? fold(fields.nominee)
        : null,
  };
  const rv = reviewFlag(server);
  if (rv) row.rv = rv; // left out otherwise, so that only flagged records are in the index
  return row;
}

/**
 * The patch and delete flag that the live (not yet accepted) outbox ops of a record add up to.
 * Ops in `conflict` are excluded: the server has them and kept its own value.
 * @param {import('./db.js').OutboxOp[]} ops ops of one record, in outbox order
 */
export function pendingOverlay(ops) {
  /** @type {Record<string, any>|null} */
  let patch = null;
  let localDelete = false;
  for (const op of ops) {
    if (op.state === 'conflict') continue;
    if (op.delete) localDelete = true;
    else if (op.fields) patch = { ...(patch || {}), ...op.fields };
  }
  return { patch, localDelete };
}

/**
 * Recompute a record's overlay from its outbox ops. Deletes the row when nothing is left of it
 * (no server state and no live op). Call inside a transaction on records, bundles and outbox.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} id
 */
export async function refreshRecord(db, collection, id) {
  if (mayBeBundled(collection)) await unbundle(db, [[collection, id]]);
  const current = await db.records.get([collection, id]);
  const ops = await db.outbox.where('[collection+id]').equals([collection, id]).sortBy('seq');
  const { patch, localDelete } = pendingOverlay(ops);
  const server = current?.server ?? null;
  const live = ops.some((o) => o.state !== 'conflict');
  if (!server && !live) {
    if (current) await db.records.delete([collection, id]);
    return;
  }
  await db.records.put(buildRecord(collection, id, server, patch, localDelete));
}

/**
 * @typedef {{id: string, collection: string, rev: number, deleted?: boolean, fields: any, meta?: any}} WireRecord
 * @typedef {{row: import('./db.js').LocalRecord|null|undefined, clearOps: number[]}} Outcome
 *   `row`: the row to store, null to delete it, undefined to leave it as it is.
 */

/**
 * What storing a server record means for the local row, given the row and the record's outbox
 * ops: a pure decision, so that a whole pulled page can be written in bulk.
 * - an older revision than the stored one changes nothing;
 * - a tombstone with nothing pending removes the row;
 * - otherwise the server state is kept under the pending patch;
 * - a conflict notice ("waiting for admin") is cleared by a newer revision with no open conflict.
 * @param {import('./db.js').LocalRecord|undefined} current
 * @param {import('./db.js').OutboxOp[]} ops the record's ops, in outbox order
 * @param {WireRecord} wire
 * @returns {Outcome}
 */
export function serverRecordOutcome(current, ops, wire) {
  if (current?.server && current.server.rev > wire.rev) return { row: undefined, clearOps: [] };
  const resolved = (wire.meta?.open_conflicts ?? 0) === 0;
  const clearOps = ops
    .filter((o) => o.state === 'conflict' && resolved && wire.rev > (o.conflict_rev ?? 0))
    .map((o) => /** @type {number} */ (o.seq));
  const live = ops.filter((o) => o.state !== 'conflict');
  if (wire.deleted && live.length === 0) return { row: current ? null : undefined, clearOps };
  const { patch, localDelete } = pendingOverlay(live);
  const server = {
    fields: wire.fields || {},
    rev: wire.rev,
    meta: storedMeta(wire.meta),
    deleted: !!wire.deleted,
  };
  return { row: buildRecord(wire.collection, wire.id, server, patch, localDelete), clearOps };
}

/**
 * The server's meta of a record as the phone stores it: all it says, without the values that say
 * nothing (null ones, and no open conflicts), and with the last editor the same object as the
 * author when they are the same person, so that a structured clone writes that person once.
 * Readers take a missing value as null (open_conflicts as 0). A pulled page is thousands of
 * rows, each cloned into IndexedDB: the meta is most of a row.
 * @param {Record<string, any>|null|undefined} meta
 * @returns {Record<string, any>|null}
 */
export function storedMeta(meta) {
  if (!meta) return null;
  /** @type {Record<string, any>} */
  const out = {};
  for (const name in meta) {
    const value = meta[name];
    if (value === null || value === undefined || (name === 'open_conflicts' && value === 0))
      continue;
    if (name === 'review' && typeof value === 'object') {
      /** @type {Record<string, any>} */
      const review = {};
      for (const part in value) if (value[part] !== null) review[part] = value[part];
      out.review = review;
    } else out[name] = value;
  }
  const { created_by: author, updated_by: editor } = out;
  if (author && editor && author.id === editor.id && author.name === editor.name)
    out.updated_by = author;
  return out;
}

/**
 * Store a record as the server sent it (push result or pull) under any pending patch.
 * Call inside a transaction on records, bundles and outbox.
 * @param {import('./db.js').DoorstepDb} db
 * @param {WireRecord} wire
 */
export async function storeServerRecord(db, wire) {
  const key = /** @type {[string, string]} */ ([wire.collection, wire.id]);
  if (mayBeBundled(wire.collection)) await unbundle(db, [key]);
  const current = await db.records.get(key);
  const ops = await db.outbox.where('[collection+id]').equals(key).sortBy('seq');
  const { row, clearOps } = serverRecordOutcome(current, ops, wire);
  if (clearOps.length) await db.outbox.bulkDelete(clearOps);
  if (row === null) await db.records.delete(key);
  else if (row) await db.records.put(row);
}

/**
 * Drop a record that left the user's scope. Outbox ops are never dropped silently: if some are
 * left, the row stays so that the user can see them.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} id
 */
export async function evictRecord(db, collection, id) {
  if (mayBeBundled(collection)) await unbundle(db, [[collection, id]]);
  const current = await db.records.get([collection, id]);
  if (!current) return;
  const ops = await db.outbox.where('[collection+id]').equals([collection, id]).count();
  if (ops === 0) await db.records.delete([collection, id]);
  else await db.records.put(buildRecord(collection, id, null, current.patch, current.localDelete));
}
