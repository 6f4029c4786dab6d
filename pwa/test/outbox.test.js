import { describe, expect, it } from 'vitest';
import {
  applyPushResults,
  countWaiting,
  deleteRecord,
  discardOp,
  returnToPending,
  saveChange,
  takeBatch,
  toWire,
} from '../src/outbox.js';
import { storeServerRecord } from '../src/records.js';
import { freshDb, household } from './helpers.js';

const H = '0190a000-0000-7000-8000-00000000000a';

describe('outbox', () => {
  it('a new household is an op with base_rev null and shows at once in the local record', async () => {
    const db = freshDb();
    await saveChange(db, 'households', H, household());
    const ops = await db.outbox.toArray();
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({
      collection: 'households',
      id: H,
      base_rev: null,
      state: 'pending',
    });
    expect(ops[0].op_id).toMatch(/^[0-9a-f-]{36}$/);
    const rec = await db.records.get(['households', H]);
    expect(rec?.fields.head_name).toBe('Nguyễn Văn An');
    expect(rec?.server).toBeNull();
    expect(await countWaiting(db)).toBe(1);
  });

  it('edits before the first push fold into the same unsent op', async () => {
    const db = freshDb();
    await saveChange(db, 'households', H, household());
    await saveChange(db, 'households', H, { phone: '0912345678' });
    const ops = await db.outbox.toArray();
    expect(ops).toHaveLength(1);
    expect(ops[0].fields).toMatchObject({ head_name: 'Nguyễn Văn An', phone: '0912345678' });
  });

  it('an edit of a synced record sends only the changed fields against its rev', async () => {
    const db = freshDb();
    await db.transaction('rw', db.records, db.outbox, db.bundles, () =>
      storeServerRecord(db, {
        collection: 'households',
        id: H,
        rev: 3,
        fields: household(),
        meta: {},
      }),
    );
    await saveChange(db, 'households', H, { ...household(), phone: '0912345678' });
    const [op] = await db.outbox.toArray();
    expect(op.base_rev).toBe(3);
    expect(op.fields).toEqual({ phone: '0912345678' });
  });

  it('saving unchanged values makes no op', async () => {
    const db = freshDb();
    await db.transaction('rw', db.records, db.outbox, db.bundles, () =>
      storeServerRecord(db, {
        collection: 'households',
        id: H,
        rev: 1,
        fields: household(),
        meta: {},
      }),
    );
    expect(await saveChange(db, 'households', H, household())).toBeNull();
    expect(await db.outbox.count()).toBe(0);
  });

  it('a batch holds one op per record, and a later op waits for the earlier one', async () => {
    const db = freshDb();
    await saveChange(db, 'households', H, household());
    const [first] = await takeBatch(db, 10);
    // Edited while the create is on its way: a new op, since the first may already be applied.
    await saveChange(db, 'households', H, { phone: '0912345678' });
    expect(await db.outbox.count()).toBe(2);
    expect(await takeBatch(db, 10)).toHaveLength(0);
    await applyPushResults(
      db,
      [first],
      [
        {
          op_id: first.op_id,
          status: 'applied',
          id: H,
          rev: 1,
          record: { collection: 'households', id: H, rev: 1, fields: household(), meta: {} },
        },
      ],
    );
    const [second] = await takeBatch(db, 10);
    expect(second.base_rev).toBe(1);
    expect(second.fields).toEqual({ phone: '0912345678' });
  });

  it('a failed push puts the ops back to pending with the same op_id', async () => {
    const db = freshDb();
    await saveChange(db, 'households', H, household());
    const [op] = await takeBatch(db, 10);
    await returnToPending(db, [op]);
    const [again] = await takeBatch(db, 10);
    expect(again.op_id).toBe(op.op_id);
    expect(again.attempts).toBe(2);
  });

  it('a rejected op stays, counted and visible, and fixing it sends a new op_id', async () => {
    const db = freshDb();
    await saveChange(db, 'households', H, household({ phone: '123' }));
    const [op] = await takeBatch(db, 10);
    await applyPushResults(
      db,
      [op],
      [
        {
          op_id: op.op_id,
          status: 'rejected',
          id: H,
          rev: null,
          record: null,
          code: 'validation',
          errors: { phone: ['Not a Vietnamese phone number.'] },
        },
      ],
    );
    const [stored] = await db.outbox.toArray();
    expect(stored).toMatchObject({ state: 'rejected', code: 'validation' });
    expect(stored.errors.phone[0]).toMatch(/phone/);
    expect(await countWaiting(db)).toBe(1);
    expect((await db.records.get(['households', H]))?.fields.phone).toBe('123');
    expect(await takeBatch(db, 10)).toHaveLength(0);

    await saveChange(db, 'households', H, { phone: '0912345678' });
    const [fixed] = await db.outbox.toArray();
    expect(fixed.state).toBe('pending');
    expect(fixed.op_id).not.toBe(op.op_id);
    expect(fixed.fields.phone).toBe('0912345678');
    expect(fixed.base_rev).toBeNull();
  });

  it('discarding a rejected create removes the record that only existed on the phone', async () => {
    const db = freshDb();
    await saveChange(db, 'households', H, household());
    const [op] = await takeBatch(db, 10);
    await applyPushResults(
      db,
      [op],
      [{ op_id: op.op_id, status: 'rejected', id: H, code: 'forbidden' }],
    );
    await discardOp(db, /** @type {number} */ (op.seq));
    expect(await db.outbox.count()).toBe(0);
    expect(await db.records.get(['households', H])).toBeUndefined();
  });

  it('a conflict keeps the server value, stays listed, and no longer counts as waiting', async () => {
    const db = freshDb();
    await db.transaction('rw', db.records, db.outbox, db.bundles, () =>
      storeServerRecord(db, {
        collection: 'households',
        id: H,
        rev: 1,
        fields: household(),
        meta: {},
      }),
    );
    await saveChange(db, 'households', H, { phone: '0911111111' });
    const [op] = await takeBatch(db, 10);
    const record = {
      collection: 'households',
      id: H,
      rev: 2,
      fields: household({ phone: '0922222222' }),
      meta: { open_conflicts: 1 },
    };
    await applyPushResults(
      db,
      [op],
      [{ op_id: op.op_id, status: 'conflict', id: H, rev: 2, record, conflict_id: 'c1' }],
    );
    expect(await countWaiting(db)).toBe(0);
    expect((await db.outbox.toArray())[0]).toMatchObject({ state: 'conflict', conflict_id: 'c1' });
    expect((await db.records.get(['households', H]))?.fields.phone).toBe('0922222222');
    // The same revision pulled again keeps the notice; a later one with no open conflict clears it.
    await db.transaction('rw', db.records, db.outbox, db.bundles, () =>
      storeServerRecord(db, record),
    );
    expect(await db.outbox.count()).toBe(1);
    await db.transaction('rw', db.records, db.outbox, db.bundles, () =>
      storeServerRecord(db, { ...record, rev: 3, meta: { open_conflicts: 0 } }),
    );
    expect(await db.outbox.count()).toBe(0);
  });

  it('deleting a record the server never saw leaves nothing behind', async () => {
    const db = freshDb();
    await saveChange(db, 'households', H, household());
    await deleteRecord(db, 'households', H);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.records.count()).toBe(0);
  });

  it('deleting a synced record sends a delete against its rev', async () => {
    const db = freshDb();
    await db.transaction('rw', db.records, db.outbox, db.bundles, () =>
      storeServerRecord(db, {
        collection: 'households',
        id: H,
        rev: 2,
        fields: household(),
        meta: {},
      }),
    );
    await deleteRecord(db, 'households', H);
    const [op] = await db.outbox.toArray();
    expect(toWire(op)).toEqual({
      op_id: op.op_id,
      collection: 'households',
      id: H,
      base_rev: 2,
      delete: true,
      client_time: op.client_time,
    });
    expect((await db.records.get(['households', H]))?.localDelete).toBe(true);
  });
});
