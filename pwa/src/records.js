/**
 * Local records: the last server state with the pending local patch laid over it.
 * Functions that write take the database and are meant to be called inside a transaction
 * that the caller opened on `records` (and `outbox` where noted).
 */
import { fold } from './text.js';

export const CHILD_COLLECTIONS = ['visits', 'registrations', 'support', 'assessments'];
export const REFERENCE_COLLECTIONS = ['quarters', 'groups', 'campaigns'];

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
  const fields = overlay(server?.fields, patch);
  return {
    collection,
    id,
    server,
    patch: patch && Object.keys(patch).length ? patch : null,
    localDelete,
    fields,
    hh: fields.household_id ?? null,
    q: fields.quarter_id ?? server?.meta?.quarter_id ?? null,
    search:
      collection === 'households'
        ? fold(`${fields.head_name ?? ''} ${fields.address ?? ''} ${fields.phone ?? ''}`)
        : collection === 'nominations'
          ? fold(fields.nominee)
          : '',
  };
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
 * (no server state and no live op). Call inside a transaction on records + outbox.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} id
 */
export async function refreshRecord(db, collection, id) {
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
 * Store a record as the server sent it (push result or pull) under any pending patch.
 * Ignores a state older than the one already stored. A tombstone with nothing pending removes
 * the row. Call inside a transaction on records + outbox.
 * @param {import('./db.js').DoorstepDb} db
 * @param {{id: string, collection: string, rev: number, deleted?: boolean, fields: any, meta?: any}} wire
 */
export async function storeServerRecord(db, wire) {
  const key = /** @type {[string, string]} */ ([wire.collection, wire.id]);
  const current = await db.records.get(key);
  if (current?.server && current.server.rev > wire.rev) return;
  const ops = await db.outbox.where('[collection+id]').equals(key).sortBy('seq');
  await clearResolvedConflicts(db, ops, wire);
  const live = ops.filter((o) => o.state !== 'conflict');
  if (wire.deleted && live.length === 0) {
    if (current) await db.records.delete(key);
    return;
  }
  const { patch, localDelete } = pendingOverlay(live);
  const server = {
    fields: wire.fields || {},
    rev: wire.rev,
    meta: wire.meta ?? null,
    deleted: !!wire.deleted,
  };
  await db.records.put(buildRecord(wire.collection, wire.id, server, patch, localDelete));
}

/**
 * A conflict op stays visible ("waiting for admin") until a newer revision of its record says no
 * conflict is open any more.
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./db.js').OutboxOp[]} ops
 * @param {{rev: number, meta?: any}} wire
 */
async function clearResolvedConflicts(db, ops, wire) {
  if ((wire.meta?.open_conflicts ?? 0) !== 0) return;
  for (const op of ops) {
    if (op.state === 'conflict' && wire.rev > (op.conflict_rev ?? 0) && op.seq != null) {
      await db.outbox.delete(op.seq);
    }
  }
}

/**
 * Drop a record that left the user's scope. Outbox ops are never dropped silently: if some are
 * left, the row stays so that the user can see them.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} id
 */
export async function evictRecord(db, collection, id) {
  const current = await db.records.get([collection, id]);
  if (!current) return;
  const ops = await db.outbox.where('[collection+id]').equals([collection, id]).count();
  if (ops === 0) await db.records.delete([collection, id]);
  else await db.records.put(buildRecord(collection, id, null, current.patch, current.localDelete));
}
