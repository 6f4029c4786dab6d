import { describe, expect, it } from 'vitest';
import { getMeta, setMeta } from '../src/db.js';
import { handToAdmin, saveChange, storeStranded } from '../src/outbox.js';
import { storeServerRecord } from '../src/records.js';
import { createSyncEngine, pullChanges } from '../src/sync.js';
import { createFakeServer } from './fake-server.js';
import { Q1, Q2, freshDb, household } from './helpers.js';

const H = '0190a000-0000-7000-8000-0000000000d1';

function setup() {
  const db = freshDb();
  const server = createFakeServer();
  const api = server.api();
  const engine = createSyncEngine({
    db,
    api,
    deviceId: async () => 'device-1',
    setTimer: () => 0,
    clearTimer: () => {},
  });
  return { db, server, api, engine };
}

/** The phone's copy of a neighbourhood (reference data). */
const quarter = (/** @type {any} */ db, /** @type {string} */ id, /** @type {string} */ name) =>
  db.transaction('rw', db.records, db.outbox, db.bundles, () =>
    storeServerRecord(db, {
      collection: 'quarters',
      id,
      rev: 1,
      fields: { code: name, name },
      meta: {},
    }),
  );

describe('reassignment', () => {
  it("after a sync the phone's neighbourhoods are the server's", async () => {
    const { db, server, engine } = setup();
    await setMeta(db, 'session', { token: server.token, user: { ...server.user } });
    server.user = { ...server.user, quarters: [Q2] };
    await engine.syncNow();
    expect((await getMeta(db, 'session')).user.quarters).toEqual([Q2]);
    expect((await getMeta(db, 'session')).token).toBe(server.token);
  });

  it('a change refused as forbidden names the household and its neighbourhood', async () => {
    const { db, server, engine } = setup();
    await quarter(db, Q1, 'Khu phố 1');
    server.notMine.add(Q1);
    await saveChange(db, 'households', H, household({ head_name: 'Trần Văn Bảy' }));
    await engine.syncNow();
    const [op] = await db.outbox.toArray();
    expect(op.state).toBe('rejected');
    expect(op.code).toBe('forbidden');
    expect(op.about).toEqual({ name: 'Trần Văn Bảy', quarter: 'Khu phố 1' });
  });

  it('a change handed to an admin leaves the outbox and is followed to its outcome', async () => {
    const { db, server, api, engine } = setup();
    await quarter(db, Q1, 'Khu phố 1');
    server.notMine.add(Q1);
    await saveChange(db, 'households', H, household({ head_name: 'Trần Văn Bảy' }));
    await engine.syncNow();
    const [op] = await db.outbox.toArray();
    const answer = await api.escalate(op.op_id);
    await handToAdmin(db, /** @type {number} */ (op.seq), /** @type {any} */ (answer.state));
    expect(await db.outbox.count()).toBe(0);
    expect(await db.records.get(['households', H])).toBeUndefined();

    server.stranded[0] = { ...server.stranded[0], state: 'declined', reason: 'Đã có hộ này' };
    await engine.syncNow();
    const [stranded] = await getMeta(db, 'stranded');
    expect(stranded).toMatchObject({
      op_id: op.op_id,
      state: 'declined',
      reason: 'Đã có hộ này',
      about: { name: 'Trần Văn Bảy', quarter: 'Khu phố 1' },
    });
  });
});

describe('first sync progress', () => {
  it('tells how many of about how many when the server estimates what remains', async () => {
    const { db, server, api } = setup();
    for (let i = 1; i <= 5; i++)
      server.put('households', `0190a000-0000-7000-8000-00000000010${i}`, household());
    /** @type {[number, number|null][]} */
    const seen = [];
    await pullChanges(db, api, { pageSize: 2, onProgress: (n, total) => seen.push([n, total]) });
    expect(seen).toEqual([
      [2, null],
      [4, null],
      [5, null],
    ]);
    await setMeta(db, 'cursor', undefined);
    seen.length = 0;
    server.estimates = true;
    await pullChanges(db, api, { pageSize: 2, onProgress: (n, total) => seen.push([n, total]) });
    expect(seen).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
  });
});

describe('the changes handed to an admin', () => {
  it('one handed over while an older answer was on its way is kept', async () => {
    const { db, server, engine } = setup();
    await quarter(db, Q1, 'Khu phố 1');
    server.notMine.add(Q1);
    await saveChange(db, 'households', H, household({ head_name: 'Trần Văn Bảy' }));
    await engine.syncNow();
    const [op] = await db.outbox.toArray();
    await handToAdmin(db, /** @type {number} */ (op.seq), 'escalated');
    await storeStranded(db, []); // /ops/mine as it was before the escalation
    expect((await getMeta(db, 'stranded')).map((/** @type {any} */ s) => s.op_id)).toEqual([
      op.op_id,
    ]);
  });
});
