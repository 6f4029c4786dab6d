import { describe, expect, it } from 'vitest';
import { createApi } from '../src/api.js';
import { getMeta, setMeta } from '../src/db.js';
import { countWaiting, saveChange } from '../src/outbox.js';
import { liveQuery } from 'dexie';
import {
  StalePageError,
  createSyncEngine,
  pullChanges,
  servePullRequest,
  storePullPage,
  workerPull,
} from '../src/sync.js';
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

  it('says where the time of a pull went, step by step, each pull afresh', async () => {
    const db = freshDb();
    const server = createFakeServer();
    await setMeta(db, 'session', { token: server.token, user: { id: 'u1' } });
    server.put('households', id(1), household());
    server.put('households', id(2), household());
    const steps = ['keys', 'rows', 'puts', 'bundles', 'bundlePuts', 'notify', 'commit', 'total'];
    for (let pull = 0; pull < 2; pull++) {
      const answer = await new Promise((resolve) =>
        servePullRequest(db, server.api(), { id: 3, pageSize: 1 }, (m) => {
          if (m.type !== 'progress') resolve(m);
        }),
      );
      expect(answer.type).toBe('done');
      expect(Object.keys(answer.timings)).toEqual(expect.arrayContaining(steps));
      // Nothing but this pull's own steps (the fake server's api times none of its own).
      expect(Object.keys(answer.timings).sort()).toEqual([...steps].sort());
      for (const ms of Object.values(answer.timings)) expect(Number.isInteger(ms)).toBe(true);
    }
  });

  it("the api times a pull's request in the timings it is given, and only there", async () => {
    const page = { changes: [], cursor: 'c:1', more: false };
    const api = createApi({ fetchImpl: async () => new Response(JSON.stringify(page)) });
    /** @type {Record<string, number>} */
    const mine = {};
    expect(await api.pull(null, 5, mine)).toEqual(page);
    expect(Object.keys(mine).sort()).toEqual(['fetch', 'parse', 'read']);
    for (const ms of Object.values(mine)) expect(ms).toBeGreaterThanOrEqual(0);
    const before = { ...mine };
    await api.pull(null, 5); // another's request, without timings: nothing added to these
    expect(mine).toEqual(before);
    const offline = createApi({
      fetchImpl: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    /** @type {Record<string, number>} */
    const failed = {};
    await expect(offline.pull(null, 5, failed)).rejects.toMatchObject({ code: 'network' });
    expect(Object.keys(failed)).toEqual(['fetch']);
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

describe('pages handed over while the one before is being stored', () => {
  /** A feed of `pages` pages of `per` households each, `c:<n>` the cursor after page n. */
  const feed = (pages, per = 2) => {
    const calls = [];
    const api = {
      pull: async (cursor) => {
        const n = cursor ? Number(cursor.slice(2)) : 0;
        calls.push(n);
        const changes = [];
        for (let k = 1; k <= per; k++) changes.push(upsert(n * per + k, 1, household()));
        return { changes, cursor: `c:${n + 1}`, more: n + 1 < pages };
      },
    };
    return { api, calls };
  };
  const signedIn = async () => {
    const db = freshDb();
    await setMeta(db, 'session', { token: 't', user: { id: 'u1' } });
    return db;
  };

  it('stores every page in order, the cursor with its page, and counts a page once stored', async () => {
    const db = await signedIn();
    const { api } = feed(4);
    const seen = [];
    const applied = await pullChanges(db, api, {
      pageSize: 2,
      direct: true,
      signedIn: true,
      onProgress: (n) => seen.push(n),
    });
    expect(applied).toBe(8);
    expect(seen).toEqual([2, 4, 6, 8]);
    expect(await db.records.count()).toBe(8);
    expect(await getMeta(db, 'cursor')).toBe('c:4');
  });

  it('a page that cannot be stored stops the pull: nothing after it is stored, and the next sync resumes there', async () => {
    const db = await signedIn();
    const { api } = feed(4);
    const broken = {
      pull: async (cursor) => {
        const page = await api.pull(cursor);
        // The second page has a record without a usable key: IndexedDB refuses the whole page.
        if (cursor === 'c:1') page.changes[1] = { ...page.changes[1], id: undefined };
        return page;
      },
    };
    await expect(
      pullChanges(db, broken, { pageSize: 2, direct: true, signedIn: true }),
    ).rejects.toThrow();
    expect(await getMeta(db, 'cursor')).toBe('c:1');
    expect((await db.records.toArray()).map((r) => r.id)).toEqual([id(1), id(2)]);
    // Resumed from the stored cursor, with the server's page as it really is.
    expect(await pullChanges(db, api, { pageSize: 2, direct: true, signedIn: true })).toBe(6);
    expect(await db.records.count()).toBe(8);
    expect(await getMeta(db, 'cursor')).toBe('c:4');
  });

  it('a change saved during a first sync on a record of a page already handed over stays on top', async () => {
    const db = await signedIn();
    const { api, calls } = feed(3);
    let typed = false;
    const typing = {
      pull: async (cursor) => {
        const page = await api.pull(cursor);
        // Saved while the phone pulls: the page bringing that record is already on its way.
        if (cursor === 'c:1' && !typed) {
          typed = true;
          await saveChange(db, 'households', id(3), { phone: '0912345678' });
        }
        return page;
      },
    };
    expect(await pullChanges(db, typing, { pageSize: 2, direct: true, signedIn: true })).toBe(6);
    const mine = await db.records.get(['households', id(3)]);
    expect(mine?.server?.rev).toBe(1);
    expect(mine?.patch).toEqual({ phone: '0912345678' });
    expect(mine?.fields.phone).toBe('0912345678');
    expect(await countWaiting(db)).toBe(1);
    expect(await db.records.count()).toBe(6);
    expect(await getMeta(db, 'cursor')).toBe('c:3');
    // The page written without reading was refused and pulled again from the stored cursor.
    expect(calls.filter((n) => n === 1).length).toBe(2);
  });

  it('gives up only on pages found stale again and again, not on one stale page after another stored', async () => {
    const db = await signedIn();
    const { api, calls } = feed(12);
    const typedOn = new Set();
    // On each page's first pull a change is saved to one of its records: a page written without
    // reading them is found stale, and pulled again with the pages handed over after it.
    const typing = {
      pull: async (cursor) => {
        const page = await api.pull(cursor);
        if (!typedOn.has(cursor ?? '')) {
          typedOn.add(cursor ?? '');
          await saveChange(db, 'households', page.changes[0].id, { phone: '0912345678' });
        }
        return page;
      },
    };
    expect(await pullChanges(db, typing, { pageSize: 2, direct: true, signedIn: true })).toBe(24);
    const restarts = calls.filter((n, i) => i > 0 && n <= calls[i - 1]).length;
    expect(restarts).toBeGreaterThan(3);
    expect(await db.records.count()).toBe(24);
    expect(await countWaiting(db)).toBe(12);
    expect(await getMeta(db, 'cursor')).toBe('c:12');

    // A cursor that keeps moving under the pull (another pull storing pages): given up on.
    const db2 = await signedIn();
    let n = 0;
    const elsewhere = {
      pull: async () => {
        await setMeta(db2, 'cursor', `elsewhere:${++n}`);
        return { changes: [upsert(1, 1, household())], cursor: 'c:1', more: true };
      },
    };
    await expect(
      pullChanges(db2, elsewhere, { pageSize: 2, direct: true, signedIn: true }),
    ).rejects.toThrow('keeps changing');
    expect(await db2.records.count()).toBe(0);
  });

  it('a page whose records got changes after the outbox was read is not stored', async () => {
    const db = await signedIn();
    await saveChange(db, 'households', id(1), { phone: '0912345678' });
    const page = { changes: [upsert(1, 1, household()), upsert(2, 1, household())], cursor: 'c:1' };
    await expect(
      storePullPage(db, page, { first: true, signedIn: true, known: [] }),
    ).rejects.toThrow(StalePageError);
    expect((await db.records.get(['households', id(1)]))?.server).toBeNull();
    expect(await db.records.get(['households', id(2)])).toBeUndefined();
    expect(await getMeta(db, 'cursor')).toBeUndefined();
  });

  it('a page pulled from another cursor than the one stored is not stored', async () => {
    const db = await signedIn();
    await setMeta(db, 'cursor', 'c:1');
    const page = { changes: [upsert(5, 1, household())], cursor: 'c:3' };
    await expect(
      storePullPage(db, page, { first: true, signedIn: true, from: 'c:2', known: [] }),
    ).rejects.toThrow(StalePageError);
    expect(await db.records.count()).toBe(0);
    expect(await getMeta(db, 'cursor')).toBe('c:1');
  });

  it('live queries see the records a page brings', async () => {
    const db = await signedIn();
    const counts = [];
    const sub = liveQuery(() => db.records.count()).subscribe((n) => counts.push(n));
    await new Promise((r) => setTimeout(r, 20));
    await storePullPage(db, { changes: [upsert(1, 1, household())], cursor: 'c:1' }, { known: [] });
    await new Promise((r) => setTimeout(r, 20));
    sub.unsubscribe();
    expect(counts).toEqual([0, 1]);
  });

  it('live queries of the outbox see a conflict notice cleared by a page', async () => {
    const db = await signedIn();
    await db.outbox.add({
      op_id: 'op-1',
      collection: 'households',
      id: id(1),
      base_rev: 1,
      fields: { phone: '0912345678' },
      delete: false,
      state: 'conflict',
      attempts: 1,
      client_time: '2026-11-30T07:00:00Z',
      conflict_rev: 1,
    });
    const known = await db.outbox.toArray();
    const counts = [];
    const sub = liveQuery(() => db.outbox.count()).subscribe((n) => counts.push(n));
    await new Promise((r) => setTimeout(r, 20));
    const resolved = upsert(1, 2, household());
    resolved.record.meta = { open_conflicts: 0 };
    await storePullPage(db, { changes: [resolved], cursor: 'c:1' }, { first: true, known });
    await new Promise((r) => setTimeout(r, 20));
    sub.unsubscribe();
    expect(counts).toEqual([1, 0]);
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
