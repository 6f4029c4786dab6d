import { describe, expect, it } from 'vitest';
import { getMeta, inCollection, setMeta } from '../src/db.js';
import { countWaiting, saveChange } from '../src/outbox.js';
import {
  applyPullPage,
  backoffDelay,
  classifyError,
  createSyncEngine,
  pullChanges,
  resetForFullResync,
} from '../src/sync.js';
import { createFakeServer } from './fake-server.js';
import { Q1, freshDb, household } from './helpers.js';

const id = (n) => `0190a000-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** An engine whose retry timers are collected instead of run. */
function setup({ batchSize = 100, pageSize = 1000 } = {}) {
  const db = freshDb();
  const server = createFakeServer();
  let token = server.token;
  const timers = [];
  const engine = createSyncEngine({
    db,
    api: server.api(() => token),
    deviceId: async () => 'device-1',
    batchSize,
    pageSize,
    random: () => 0.5,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => {},
  });
  return { db, server, engine, timers, setToken: (t) => (token = t) };
}

describe('sync orchestrator', () => {
  it('pushes the outbox, pulls back, and ends with nothing waiting', async () => {
    const { db, server, engine } = setup();
    await saveChange(db, 'households', id(1), household());
    await saveChange(db, 'visits', id(2), {
      household_id: id(1),
      purpose: 'outreach',
      visited_at: '2024-10-12T08:30:00+07:00',
    });
    const status = await engine.syncNow();
    expect(status.lastError).toBeNull();
    expect(await countWaiting(db)).toBe(0);
    expect(server.records.size).toBe(2);
    const rec = await db.records.get(['households', id(1)]);
    expect(rec?.server?.rev).toBe(1);
    expect(rec?.patch).toBeNull();
    expect(await getMeta(db, 'cursor')).toBe('c:2');
    expect(await getMeta(db, 'last_sync')).toBeTruthy();
  });

  it('pushes in batches of the configured size', async () => {
    const { db, server, engine } = setup({ batchSize: 2 });
    for (let i = 1; i <= 5; i++) await saveChange(db, 'households', id(i), household());
    await engine.syncNow();
    expect(server.pushSizes).toEqual([2, 2, 1]);
    expect(server.records.size).toBe(5);
  });

  it('pulls every page and saves the cursor after each page', async () => {
    const { db, server, engine } = setup({ pageSize: 3 });
    for (let i = 1; i <= 7; i++)
      server.put('households', id(i), household({ head_name: `Hộ ${i}` }));
    await engine.syncNow();
    expect(await inCollection(db, 'households').count()).toBe(7);
    expect(server.pullCalls).toBe(3);
    expect(await getMeta(db, 'cursor')).toBe('c:7');
  });

  it('a failed page leaves the cursor at the last stored page, and the next sync resumes there', async () => {
    const { db, server, engine, timers } = setup({ pageSize: 3 });
    for (let i = 1; i <= 7; i++) server.put('households', id(i), household());
    const api = server.api();
    let calls = 0;
    const flaky = {
      ...api,
      pull: async (c, l) =>
        ++calls === 2
          ? Promise.reject(Object.assign(new Error('x'), { status: 0, code: 'network' }))
          : api.pull(c, l),
    };
    await expect(pullChanges(db, flaky, { pageSize: 3 })).rejects.toThrow();
    expect(await getMeta(db, 'cursor')).toBe('c:3');
    expect(await db.records.count()).toBe(3);
    await engine.syncNow();
    expect(await db.records.count()).toBe(7);
    expect(timers).toHaveLength(0);
  });

  it('a network error during push is retried later with backoff, and nothing arrives twice', async () => {
    const { db, server, engine, timers } = setup();
    await saveChange(db, 'households', id(1), household());
    // The server applies the batch but the answer never reaches the phone.
    server.failures.push({ on: 'push', status: 0, code: 'network', afterApply: true });
    const first = await engine.syncNow();
    expect(first.lastError?.code).toBe('network');
    expect(first.retryAt).not.toBeNull();
    expect(timers).toHaveLength(1);
    expect(timers[0].ms).toBe(backoffDelay(1, () => 0.5));
    expect(await countWaiting(db)).toBe(1);
    timers[0].fn();
    await engine.syncNow();
    expect(await countWaiting(db)).toBe(0);
    expect(server.records.size).toBe(1);
    expect(server.records.get(`households/${id(1)}`)?.rev).toBe(1);
  });

  it('backoff grows, is capped, and is jittered', () => {
    expect(backoffDelay(1, () => 0)).toBe(1000);
    expect(backoffDelay(3, () => 1)).toBe(1000 + 8000);
    expect(backoffDelay(30, () => 1)).toBe(1000 + 300000);
    expect(backoffDelay(2, () => 0.25)).not.toBe(backoffDelay(2, () => 0.75));
  });

  it('401 asks to sign in again and keeps the outbox; signing in lets it through', async () => {
    const { db, server, engine, timers, setToken } = setup();
    await saveChange(db, 'households', id(1), household());
    setToken('expired');
    const status = await engine.syncNow();
    expect(status.needsSignIn).toBe(true);
    expect(timers).toHaveLength(0);
    expect(await countWaiting(db)).toBe(1);
    expect(await getMeta(db, 'needs_sign_in')).toBe(true);
    setToken(server.token);
    const after = await engine.syncNow();
    expect(after.needsSignIn).toBe(false);
    expect(await countWaiting(db)).toBe(0);
  });

  it.each(['revoked', 'deactivated', 'expired'])(
    'a sign-in %s on the server deletes everything pulled and the token, keeps the outbox',
    async (reason) => {
      const { db, server, engine } = setup();
      server.put('households', id(1), household({ head_name: 'Trần Văn Pulled' }));
      server.put('visits', id(2), { household_id: id(1), purpose: 'outreach' });
      await setMeta(db, 'session', { token: 't', user: { id: 'u1' } });
      await setMeta(db, 'data_owner', 'u1');
      await engine.syncNow();
      expect(await db.records.count()).toBe(2);
      await saveChange(db, 'households', id(1), { phone: '0911111111' });
      await saveChange(db, 'households', id(3), household({ head_name: 'Lê Thị Mới' }));
      server.failures.push({
        on: 'push',
        status: 401,
        code: 'unauthorized',
        details: { reason },
      });
      const status = await engine.syncNow();
      expect(status.needsSignIn).toBe(true);
      expect(await getMeta(db, 'session')).toBeUndefined();
      expect(await getMeta(db, 'cursor')).toBeUndefined();
      expect(await getMeta(db, 'signed_out')).toBe(reason);
      expect(await getMeta(db, 'data_owner')).toBe('u1');
      expect(await countWaiting(db)).toBe(2);
      const left = await db.records.toArray();
      expect(left.map((r) => r.id).sort()).toEqual([id(1), id(3)]);
      expect(left.every((r) => r.server === null)).toBe(true);
      expect(left.find((r) => r.id === id(1))?.fields).toEqual({ phone: '0911111111' });
    },
  );

  it('a 401 without a revocation (unknown token) keeps what was pulled', async () => {
    const { db, server, engine, setToken } = setup();
    server.put('households', id(1), household());
    await engine.syncNow();
    setToken('unknown');
    await engine.syncNow();
    expect(await db.records.count()).toBe(1);
    expect(await getMeta(db, 'cursor')).toBeDefined();
  });

  it('426 asks to update the app and keeps the outbox', async () => {
    const { db, server, engine, timers } = setup();
    await saveChange(db, 'households', id(1), household());
    server.failures.push({ on: 'push', status: 426, code: 'upgrade_required' });
    const status = await engine.syncNow();
    expect(status.updateRequired).toBe(true);
    expect(timers).toHaveLength(0);
    expect(await countWaiting(db)).toBe(1);
    expect(server.records.size).toBe(0);
  });

  it('410 starts a full re-sync from no cursor and keeps the outbox', async () => {
    const { db, server, engine } = setup();
    server.put('households', id(1), household());
    await engine.syncNow();
    // Meanwhile the record is deleted on the server and its tombstone has expired, so the feed
    // no longer mentions it, and the phone's cursor is older than what the server can answer.
    server.records.delete(`households/${id(1)}`);
    server.feed.splice(0, server.feed.length);
    server.put('households', id(2), household());
    server.oldestCursor = 2;
    await saveChange(db, 'households', id(3), household());
    const status = await engine.syncNow();
    expect(status.lastError).toBeNull();
    expect(await db.records.get(['households', id(1)])).toBeUndefined();
    expect(await db.records.get(['households', id(2)])).toBeDefined();
    expect(server.records.has(`households/${id(3)}`)).toBe(true);
    expect(await countWaiting(db)).toBe(0);
  });

  it('a cursor the server refuses (its secret changed) starts a full re-sync', async () => {
    const { db, server, engine } = setup();
    server.put('households', id(1), household());
    await engine.syncNow();
    server.failures.push({
      on: 'pull',
      status: 400,
      code: 'bad_request',
      details: { cursor: ['Not signed by this server.'] },
    });
    await saveChange(db, 'households', id(2), household());
    const status = await engine.syncNow();
    expect(status.lastError).toBeNull();
    expect(await db.records.count()).toBe(2);
    expect(server.records.has(`households/${id(2)}`)).toBe(true);
  });

  it('a rejected op is kept as needing attention while the rest go through', async () => {
    const { db, server, engine } = setup();
    await saveChange(db, 'households', id(1), household({ phone: '12345' }));
    await saveChange(db, 'households', id(2), household());
    await engine.syncNow();
    expect(server.records.size).toBe(1);
    const ops = await db.outbox.toArray();
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ id: id(1), state: 'rejected', code: 'validation' });
    expect(ops[0].errors.phone).toBeDefined();
    expect(await countWaiting(db)).toBe(1);
    // Fixed by the user: goes through with a new op_id.
    await saveChange(db, 'households', id(1), { phone: '0912345678' });
    await engine.syncNow();
    expect(await countWaiting(db)).toBe(0);
    expect(server.records.get(`households/${id(1)}`)?.fields.phone).toBe('0912345678');
  });

  it('eviction removes records that left the scope', async () => {
    const { db, server, engine } = setup();
    server.put('households', id(1), household());
    server.put('visits', id(2), { household_id: id(1), purpose: 'outreach' });
    await engine.syncNow();
    expect(await db.records.count()).toBe(2);
    server.evict('households', id(1));
    server.evict('visits', id(2));
    await engine.syncNow();
    expect(await db.records.count()).toBe(0);
  });

  it('two devices editing the same field: the second sees a conflict waiting for admin', async () => {
    const a = setup();
    const server = a.server;
    server.put('households', id(1), household());
    await a.engine.syncNow();
    const dbB = freshDb();
    const engineB = createSyncEngine({
      db: dbB,
      api: server.api(),
      deviceId: async () => 'device-2',
      setTimer: () => {},
      clearTimer: () => {},
    });
    await engineB.syncNow();
    await saveChange(a.db, 'households', id(1), { phone: '0911111111' });
    await saveChange(dbB, 'households', id(1), { phone: '0922222222' });
    await a.engine.syncNow();
    await engineB.syncNow();
    expect(await countWaiting(a.db)).toBe(0);
    expect(await a.db.outbox.count()).toBe(0);
    const [op] = await dbB.outbox.toArray();
    expect(op).toMatchObject({ state: 'conflict', conflict_id: 'c1' });
    expect((await dbB.records.get(['households', id(1)]))?.fields.phone).toBe('0911111111');
    // The admin resolves it: the notice goes away at the next pull.
    server.resolve('households', id(1));
    await engineB.syncNow();
    expect(await dbB.outbox.count()).toBe(0);
  });

  it('a save during a sync is pushed by a follow-up run', async () => {
    const { db, server, engine } = setup();
    await saveChange(db, 'households', id(1), household());
    const run = engine.syncNow();
    await saveChange(db, 'households', id(2), household({ quarter_id: Q1 }));
    engine.syncNow();
    await run;
    await engine.syncNow();
    expect(server.records.size).toBe(2);
  });

  it.each([
    [{ status: 0 }, 'retry'],
    [{ status: 503 }, 'retry'],
    [{ status: 429 }, 'retry'],
    [{ status: 401 }, 'sign_in'],
    [{ status: 426 }, 'update'],
    [{ status: 410 }, 'resync'],
    [{ status: 400, details: { cursor: ['Not signed by this server.'] } }, 'resync'],
    [{ status: 400, details: { limit: ['Too big.'] } }, 'permanent'],
    [{ status: 413 }, 'too_large'],
    [{ status: 422 }, 'permanent'],
  ])('classifies %o as %s', (err, kind) => {
    expect(classifyError(err)).toBe(kind);
  });
});

describe('storage', () => {
  it('a full disk during sync is reported as such and retried later', async () => {
    const db = freshDb();
    const server = createFakeServer();
    const timers = [];
    const api = {
      ...server.api(),
      pull: async () => {
        throw Object.assign(new Error('The quota has been exceeded.'), {
          name: 'QuotaExceededError',
        });
      },
    };
    const engine = createSyncEngine({
      db,
      api,
      deviceId: async () => 'd',
      setTimer: (fn, ms) => timers.push({ fn, ms }),
      clearTimer: () => {},
    });
    const status = await engine.syncNow();
    expect(status.lastError?.code).toBe('storage_full');
    expect(timers).toHaveLength(1);
  });
});

describe('first sync (no cursor)', () => {
  /** A pulled change as the server sends it. */
  const upsert = (n, rev, fields, op = 'upsert') => ({
    op,
    collection: 'households',
    id: id(n),
    rev,
    record: { id: id(n), collection: 'households', rev, deleted: op === 'delete', fields },
  });

  it('keeps a change typed on the phone on top of what a re-sync from scratch brings', async () => {
    const { db, server, engine } = setup();
    server.put('households', id(1), household({ head_name: 'Nguyễn Văn An' }));
    await engine.syncNow();
    // Typed offline; meanwhile someone else renames the head, and the phone must start over.
    await saveChange(db, 'households', id(1), { phone: '0912345678' });
    server.put('households', id(1), household({ head_name: 'Nguyễn Văn Bình' }));
    await resetForFullResync(db);
    expect(await getMeta(db, 'cursor')).toBeUndefined();

    await pullChanges(db, server.api(), { pageSize: 5000 });
    const row = await db.records.get(['households', id(1)]);
    expect(row?.server?.rev).toBe(2);
    expect(row?.fields.head_name).toBe('Nguyễn Văn Bình');
    expect(row?.fields.phone).toBe('0912345678');
    expect(row?.patch).toEqual({ phone: '0912345678' });
    expect(await countWaiting(db)).toBe(1);
    // And the change still reaches the server.
    await engine.syncNow();
    expect(server.records.get(`households/${id(1)}`)?.fields.phone).toBe('0912345678');
  });

  it('keeps a pending create whose record the page brings, without reading other rows', async () => {
    const db = freshDb();
    await saveChange(db, 'households', id(1), household({ head_name: 'Trần Thị Cúc' }));
    await applyPullPage(
      db,
      {
        changes: [upsert(1, 1, household({ head_name: 'Lê Văn Dũng' })), upsert(2, 1, household())],
        cursor: 'c:2',
      },
      { first: true },
    );
    const mine = await db.records.get(['households', id(1)]);
    expect(mine?.fields.head_name).toBe('Trần Thị Cúc');
    expect(mine?.server?.rev).toBe(1);
    expect(await db.records.get(['households', id(2)])).toBeDefined();
    expect(await countWaiting(db)).toBe(1);
  });

  it('a record deleted or evicted on a later page of the same first sync is gone', async () => {
    const db = freshDb();
    await applyPullPage(
      db,
      { changes: [upsert(1, 1, household()), upsert(2, 1, household())], cursor: 'c:2' },
      { first: true },
    );
    await applyPullPage(
      db,
      {
        changes: [
          upsert(1, 2, household(), 'delete'),
          { op: 'evict', collection: 'households', id: id(2) },
        ],
        cursor: 'c:4',
      },
      { first: true },
    );
    expect(await db.records.get(['households', id(1)])).toBeUndefined();
    expect(await db.records.get(['households', id(2)])).toBeUndefined();
    expect(await getMeta(db, 'cursor')).toBe('c:4');
  });
});
