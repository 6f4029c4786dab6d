import { describe, expect, it } from 'vitest';
import { getMeta, setMeta } from '../src/db.js';
import { countWaiting, saveChange } from '../src/outbox.js';
import { createSyncEngine, servePullRequest, workerPull } from '../src/sync.js';
import { createFakeServer } from './fake-server.js';
import { freshDb, household } from './helpers.js';

const id = (n) => `0190a000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const upsert = (n, rev, fields) => ({
  op: 'upsert',
  collection: 'households',
  id: id(n),
  rev,
  record: { id: id(n), collection: 'households', rev, deleted: false, fields },
});

/**
 * The pull worker's side, in this thread: requests posted to it are served by
 * servePullRequest, as pull-worker.js does, and its answers come back as message events.
 * `broken`: a worker whose script never loads (an error event instead).
 */
class InProcessWorker extends EventTarget {
  constructor(db, api, { broken = false } = {}) {
    super();
    Object.assign(this, { db, api, broken, terminated: false, requests: 0 });
  }
  postMessage(request) {
    this.requests += 1;
    queueMicrotask(() => {
      if (this.broken) return this.dispatchEvent(new Event('error'));
      servePullRequest(this.db, this.api, request, (m) =>
        this.dispatchEvent(new MessageEvent('message', { data: structuredClone(m) })),
      );
    });
  }
  terminate() {
    this.terminated = true;
  }
}

/** A signed-in phone whose engine pulls in an in-process worker. */
async function setup({ broken = false } = {}) {
  const db = freshDb();
  const server = createFakeServer();
  await setMeta(db, 'session', { token: server.token, user: { id: 'u1' } });
  await setMeta(db, 'data_owner', 'u1');
  const workers = [];
  const engine = createSyncEngine({
    db,
    api: server.api(),
    deviceId: async () => 'device-1',
    pageSize: 2,
    random: () => 0.5,
    setTimer: () => null,
    clearTimer: () => {},
    pull: workerPull(() => {
      const w = new InProcessWorker(db, server.api(), { broken });
      workers.push(w);
      return w;
    }),
  });
  return { db, server, engine, workers };
}

describe('storing a pulled page in the pull worker', () => {
  const serve = (db, server, pageSize = 5000) =>
    new Promise((resolve) =>
      servePullRequest(db, server.api(), { id: 1, pageSize }, (m) => {
        if (m.type !== 'progress') resolve(m);
      }),
    );

  it('keeps a pending change on top of a first sync, and the cursor moves with the page', async () => {
    const db = freshDb();
    const server = createFakeServer();
    await setMeta(db, 'session', { token: server.token, user: { id: 'u1' } });
    await saveChange(db, 'households', id(1), { phone: '0912345678' });
    server.put('households', id(1), household({ head_name: 'Nguyễn Văn An' }));
    server.put('households', id(2), household({ head_name: 'Lê Thị Bé' }));
    const answer = await serve(db, server);
    expect(answer).toMatchObject({ type: 'done', applied: 2 });
    const mine = await db.records.get(['households', id(1)]);
    expect(mine?.fields.head_name).toBe('Nguyễn Văn An');
    expect(mine?.fields.phone).toBe('0912345678');
    expect(mine?.patch).toEqual({ phone: '0912345678' });
    expect((await db.records.get(['households', id(2)]))?.fields.head_name).toBe('Lê Thị Bé');
    expect(await countWaiting(db)).toBe(1);
    expect(await getMeta(db, 'cursor')).toBeTruthy();
  });

  it('a page the phone cannot store leaves no record of it and the cursor where it was', async () => {
    const db = freshDb();
    await setMeta(db, 'session', { token: 't', user: { id: 'u1' } });
    await setMeta(db, 'cursor', 'c:1');
    // The second record has no usable key: IndexedDB refuses it, and with it the whole page.
    const page = {
      changes: [upsert(2, 1, household()), { ...upsert(3, 1, household()), id: undefined }],
      cursor: 'c:3',
      more: false,
    };
    const api = { pull: async () => page };
    const answer = await new Promise((resolve) =>
      servePullRequest(db, api, { id: 7, pageSize: 5000 }, (m) => {
        if (m.type !== 'progress') resolve(m);
      }),
    );
    expect(answer.type).toBe('error');
    expect(answer.id).toBe(7);
    expect(await db.records.count()).toBe(0);
    expect(await getMeta(db, 'cursor')).toBe('c:1');
  });

  it('a page that arrives after signing out is not stored', async () => {
    const db = freshDb();
    const server = createFakeServer();
    server.put('households', id(1), household());
    const answer = await serve(db, server);
    expect(answer.type).toBe('error');
    expect(answer.error).toMatchObject({ name: 'SignedOutError', status: 401 });
    expect(await db.records.count()).toBe(0);
    expect(await getMeta(db, 'cursor')).toBeUndefined();
  });
});

describe('the sync engine with a pull worker', () => {
  it('pulls every page in the worker, telling the progress, with one worker for every sync', async () => {
    const { db, server, engine, workers } = await setup();
    for (let n = 1; n <= 5; n++) server.put('households', id(n), household());
    server.estimates = true;
    const seen = [];
    engine.subscribe((s) => s.phase === 'pull' && seen.push(s.pulled));
    const status = await engine.syncNow();
    expect(status.lastError).toBeNull();
    expect(await db.records.count()).toBe(5);
    expect(status.pulled).toBe(5);
    expect(seen).toEqual(expect.arrayContaining([2, 4, 5]));
    server.put('households', id(6), household());
    await engine.syncNow();
    expect(await db.records.count()).toBe(6);
    expect(workers.length).toBe(1);
    expect(workers[0].requests).toBe(2);
  });

  it('a revocation met by the worker wipes what was pulled', async () => {
    const { db, server, engine } = await setup();
    server.put('households', id(1), household());
    server.put('households', id(2), household());
    await engine.syncNow();
    expect(await db.records.count()).toBe(2);
    server.failures.push({
      on: 'pull',
      status: 401,
      code: 'unauthorized',
      details: { reason: 'revoked' },
    });
    const status = await engine.syncNow();
    expect(status.needsSignIn).toBe(true);
    expect(await getMeta(db, 'session')).toBeUndefined();
    expect(await getMeta(db, 'cursor')).toBeUndefined();
    expect(await getMeta(db, 'signed_out')).toBe('revoked');
    expect(await db.records.count()).toBe(0);
  });

  it('pulls on the page itself when the worker cannot start', async () => {
    const { db, server, engine, workers } = await setup({ broken: true });
    server.put('households', id(1), household());
    const status = await engine.syncNow();
    expect(status.lastError).toBeNull();
    expect(await db.records.count()).toBe(1);
    expect(workers[0].terminated).toBe(true);
  });
});
