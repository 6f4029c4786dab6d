/**
 * The outbox: every local change becomes an operation with its own op_id, stored before anything
 * else happens, and is laid over the local record at once so the UI shows it.
 */
import { refreshRecord, storeServerRecord } from './records.js';
import { isoWithOffset, uuidv7 } from './text.js';

/** Op states that still wait for the server to accept them. */
export const WAITING_STATES = ['pending', 'sending', 'rejected'];

/**
 * @param {any} a
 * @param {any} b
 */
function sameValue(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Record a create or an edit. For an edit only the fields that differ from what the user saw are
 * sent. Returns the op that now carries the change, or null when nothing changed.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} id
 * @param {Record<string, any>} values the full form values (create) or changed values (edit)
 * @param {{now?: Date}} [options]
 */
export async function saveChange(db, collection, id, values, options = {}) {
  const now = options.now ?? new Date();
  return db.transaction('rw', db.records, db.outbox, async () => {
    const current = await db.records.get([collection, id]);
    /** @type {Record<string, any>} */
    const diff = {};
    for (const [k, v] of Object.entries(values)) {
      if (!current || !sameValue(current.fields[k], v)) diff[k] = v;
    }
    if (current && Object.keys(diff).length === 0) return null;

    const ops = await db.outbox.where('[collection+id]').equals([collection, id]).sortBy('seq');
    const live = ops.filter((o) => o.state !== 'conflict');
    const last = live[live.length - 1];
    /** @type {import('./db.js').OutboxOp} */
    let op;
    if (
      last &&
      !last.delete &&
      (last.state === 'rejected' || (last.state === 'pending' && last.attempts === 0))
    ) {
      // Not yet seen by the server (or refused by it): fold the change in. A refused op gets a new
      // op_id, since the server answers a reused op_id with different content as op_id_reused.
      op = {
        ...last,
        fields: { ...(last.fields || {}), ...diff },
        state: 'pending',
        op_id: last.state === 'rejected' ? uuidv7(now.getTime()) : last.op_id,
        attempts: last.state === 'rejected' ? 0 : last.attempts,
        code: null,
        errors: null,
        message: null,
        client_time: isoWithOffset(now),
      };
      await db.outbox.put(op);
    } else {
      const isCreate = !current?.server && !last;
      op = {
        op_id: uuidv7(now.getTime()),
        collection,
        id,
        base_rev: current?.server?.rev ?? null,
        fields: isCreate ? { ...values } : diff,
        delete: false,
        state: 'pending',
        attempts: 0,
        client_time: isoWithOffset(now),
      };
      op.seq = await db.outbox.add(op);
    }
    await refreshRecord(db, collection, id);
    return op;
  });
}

/**
 * Delete a record. A record the server never saw simply disappears with its unsent ops.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} id
 * @param {{now?: Date}} [options]
 */
export async function deleteRecord(db, collection, id, options = {}) {
  const now = options.now ?? new Date();
  return db.transaction('rw', db.records, db.outbox, async () => {
    const current = await db.records.get([collection, id]);
    if (!current) return;
    const ops = await db.outbox.where('[collection+id]').equals([collection, id]).sortBy('seq');
    const unsent = ops.every(
      (o) => o.state === 'rejected' || (o.state === 'pending' && o.attempts === 0),
    );
    if (!current.server && unsent) {
      await db.outbox.bulkDelete(ops.map((o) => /** @type {number} */ (o.seq)));
      await db.records.delete([collection, id]);
      return;
    }
    await db.outbox.add({
      op_id: uuidv7(now.getTime()),
      collection,
      id,
      base_rev: current.server?.rev ?? null,
      fields: null,
      delete: true,
      state: 'pending',
      attempts: 0,
      client_time: isoWithOffset(now),
    });
    await refreshRecord(db, collection, id);
  });
}

/**
 * Throw away one op (a rejected change the user chose to discard, or a conflict notice they read).
 * @param {import('./db.js').DoorstepDb} db
 * @param {number} seq
 */
export async function discardOp(db, seq) {
  await db.transaction('rw', db.records, db.outbox, async () => {
    const op = await db.outbox.get(seq);
    if (!op) return;
    await db.outbox.delete(seq);
    await refreshRecord(db, op.collection, op.id);
  });
}

/**
 * Pick the next batch to push and mark it `sending`: oldest first, at most one op per record (a
 * later op's base_rev is only known once the earlier one is answered), and nothing for a record
 * whose earlier op the server refused.
 * @param {import('./db.js').DoorstepDb} db
 * @param {number} max
 */
export async function takeBatch(db, max) {
  return db.transaction('rw', db.outbox, async () => {
    /** @type {Set<string>} */
    const blocked = new Set();
    /** @type {import('./db.js').OutboxOp[]} */
    const batch = [];
    await db.outbox
      .orderBy('seq')
      .until(() => batch.length >= max)
      .each((op) => {
        const key = `${op.collection}/${op.id}`;
        if (op.state === 'conflict') return;
        if (op.state === 'pending' && !blocked.has(key)) batch.push(op);
        blocked.add(key);
      });
    for (const op of batch) {
      op.state = 'sending';
      op.attempts += 1;
    }
    await db.outbox.bulkPut(batch);
    return batch;
  });
}

/**
 * Put ops whose push failed (network, server error) back to `pending`.
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./db.js').OutboxOp[]} [ops] all `sending` ops when omitted (app start)
 */
export async function returnToPending(db, ops) {
  await db.transaction('rw', db.outbox, async () => {
    const rows = ops
      ? await db.outbox.bulkGet(ops.map((o) => /** @type {number} */ (o.seq)))
      : await db.outbox.where('state').equals('sending').toArray();
    for (const row of rows) {
      if (row && row.state === 'sending')
        await db.outbox.update(/** @type {number} */ (row.seq), { state: 'pending' });
    }
  });
}

/**
 * The wire form of an op (§4).
 * @param {import('./db.js').OutboxOp} op
 */
export function toWire(op) {
  /** @type {Record<string, any>} */
  const wire = {
    op_id: op.op_id,
    collection: op.collection,
    id: op.id,
    base_rev: op.base_rev,
    client_time: op.client_time,
  };
  if (op.delete) wire.delete = true;
  else wire.fields = op.fields;
  return wire;
}

/**
 * Apply the server's answers to a pushed batch: accepted ops leave the outbox and their record
 * takes the server's state; a conflict stays listed ("waiting for admin"); a refusal stays as
 * "needs attention" with the server's reason. Later ops of the same record move onto the new rev.
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./db.js').OutboxOp[]} batch
 * @param {any[]} results
 */
export async function applyPushResults(db, batch, results) {
  await db.transaction('rw', db.records, db.outbox, async () => {
    for (let i = 0; i < batch.length; i++) {
      const op = batch[i];
      const seq = /** @type {number} */ (op.seq);
      const result = results[i];
      if (!result || result.op_id !== op.op_id) {
        await db.outbox.update(seq, { state: 'pending' });
        continue;
      }
      if (result.status === 'applied' || result.status === 'merged') {
        await db.outbox.delete(seq);
      } else if (result.status === 'conflict') {
        await db.outbox.update(seq, {
          state: 'conflict',
          conflict_id: result.conflict_id ?? null,
          conflict_rev: result.rev ?? null,
        });
      } else {
        await db.outbox.update(seq, {
          state: 'rejected',
          code: result.code ?? 'rejected',
          errors: result.errors ?? null,
          message: result.message ?? null,
        });
      }
      if (result.rev != null) await rebaseLaterOps(db, op, result.rev);
      if (result.record) await storeServerRecord(db, result.record);
      else await refreshRecord(db, op.collection, op.id);
    }
  });
}

/**
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./db.js').OutboxOp} op
 * @param {number} rev
 */
async function rebaseLaterOps(db, op, rev) {
  const later = await db.outbox
    .where('[collection+id]')
    .equals([op.collection, op.id])
    .filter(
      (o) => /** @type {number} */ (o.seq) > /** @type {number} */ (op.seq) && o.attempts === 0,
    )
    .toArray();
  for (const o of later) await db.outbox.update(/** @type {number} */ (o.seq), { base_rev: rev });
}

/**
 * How many changes wait for the server (pending, sending, or refused and needing attention).
 * @param {import('./db.js').DoorstepDb} db
 */
export function countWaiting(db) {
  return db.outbox.where('state').anyOf(WAITING_STATES).count();
}
