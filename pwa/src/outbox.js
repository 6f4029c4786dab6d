/**
 * The outbox: every local change becomes an operation with its own op_id, stored before anything
 * else happens, and is laid over the local record at once so the UI shows it.
 */
import { getRecord, mayBeBundled, unbundle } from './bundles.js';
import { getMeta, setMeta } from './db.js';
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
  return db.transaction('rw', db.records, db.outbox, db.bundles, async () => {
    if (mayBeBundled(collection)) await unbundle(db, [[collection, id]]);
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
  return db.transaction('rw', db.records, db.outbox, db.bundles, async () => {
    if (mayBeBundled(collection)) await unbundle(db, [[collection, id]]);
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
  await db.transaction('rw', db.records, db.outbox, db.bundles, async () => {
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
  await db.transaction('rw', db.records, db.outbox, db.bundles, async () => {
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
          about: await aboutOp(db, op),
        });
      }
      if (result.rev != null) await rebaseLaterOps(db, op, result.rev);
      if (result.record) await storeServerRecord(db, result.record);
      else await refreshRecord(db, op.collection, op.id);
    }
  });
}

/**
 * Whom an op is about and in which neighbourhood, from the records on the phone now (a refused
 * change keeps this: the records may leave the phone at the next pull). Call inside a transaction
 * on records and bundles.
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./db.js').OutboxOp} op
 * @returns {Promise<import('./db.js').About|null>}
 */
export async function aboutOp(db, op) {
  const record = await getRecord(db, op.collection, op.id);
  const fields = { ...(record?.fields || {}), ...(op.fields || {}) };
  const household =
    op.collection === 'households'
      ? { fields, q: record?.q ?? null }
      : fields.household_id
        ? await db.records.get(['households', fields.household_id])
        : null;
  const name =
    op.collection === 'nominations' ? (fields.nominee ?? '') : (household?.fields.head_name ?? '');
  const quarterId =
    op.collection === 'nominations'
      ? fields.quarter_id
      : (household?.fields.quarter_id ?? household?.q ?? null);
  const quarter = quarterId ? await db.records.get(['quarters', quarterId]) : null;
  if (!name && !quarter) return null;
  return { name, quarter: quarter?.fields.name ?? quarter?.fields.code ?? '' };
}

/**
 * A refused change the user handed to an admin (the server has it, §6a): it leaves the outbox,
 * and is listed with what becomes of it.
 * @param {import('./db.js').DoorstepDb} db
 * @param {number} seq
 * @param {'escalated'|'applied'|'declined'} state
 */
export async function handToAdmin(db, seq, state) {
  await db.transaction('rw', db.records, db.outbox, db.meta, db.bundles, async () => {
    const op = await db.outbox.get(seq);
    if (!op) return;
    await db.outbox.delete(seq);
    await refreshRecord(db, op.collection, op.id);
    /** @type {import('./db.js').StrandedChange[]} */
    const stranded = (await getMeta(db, 'stranded')) ?? [];
    const entry = {
      op_id: op.op_id,
      collection: op.collection,
      id: op.id,
      about: op.about ?? null,
      state,
      at: new Date().toISOString(),
    };
    await setMeta(db, 'stranded', [entry, ...stranded.filter((s) => s.op_id !== op.op_id)]);
  });
}

/**
 * Take the server's word on the changes handed to an admin (`GET /ops/mine`), keeping what the
 * phone knew of whom each is about. One handed over while the answer was on its way is kept
 * (an escalation is never undone, so the next answer lists it).
 * @param {import('./db.js').DoorstepDb} db
 * @param {{op_id: string, collection: string, id: string, state: any, reason?: string, at: string}[]} ops
 */
export async function storeStranded(db, ops) {
  await db.transaction('rw', db.meta, async () => {
    /** @type {import('./db.js').StrandedChange[]} */
    const known = (await getMeta(db, 'stranded')) ?? [];
    const about = new Map(known.map((s) => [s.op_id, s.about]));
    const listed = new Set(ops.map((o) => o.op_id));
    await setMeta(db, 'stranded', [
      ...known.filter((s) => !listed.has(s.op_id)),
      ...ops.map((o) => ({ ...o, about: about.get(o.op_id) ?? null })),
    ]);
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
 * What the outbox holds, as the header and the sync screen both count it: changes waiting to be
 * sent (or being sent), changes the server refused, conflicts waiting for an admin.
 * @param {{state: string}[]} ops
 */
export function outboxCounts(ops) {
  const counts = { waiting: 0, rejected: 0, conflicts: 0 };
  for (const op of ops) {
    if (op.state === 'rejected') counts.rejected += 1;
    else if (op.state === 'conflict') counts.conflicts += 1;
    else counts.waiting += 1;
  }
  return counts;
}

/**
 * How many changes wait for the server (pending, sending, or refused and needing attention).
 * @param {import('./db.js').DoorstepDb} db
 */
export function countWaiting(db) {
  return db.outbox.where('state').anyOf(WAITING_STATES).count();
}
