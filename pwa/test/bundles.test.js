import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_SIZE,
  bundleRows,
  collectionRecords,
  countRecords,
  getRecord,
  getRecords,
  householdRecords,
  makeBundles,
  mayBeBundled,
} from '../src/bundles.js';
import { getMeta, openDb, setMeta } from '../src/db.js';
import { aboutOp, applyPushResults, deleteRecord, saveChange, takeBatch } from '../src/outbox.js';
import { addPhoto, evictPhotos, recordPhotos } from '../src/photos.js';
import { findHouseholds, flaggedRecords, householdChildren } from '../src/queries.js';
import { evictRecord } from '../src/records.js';
import { forgetServerData, signOut } from '../src/session.js';
import { applyPullPage, resetForFullResync, storePullPage } from '../src/sync.js';
import { Q1, freshDb, household } from './helpers.js';

const id = (n) => `0190a000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const H1 = id(1);
const H2 = id(2);
/** A visit's id: visits 1..n of the first sync below. */
const V = (n) => id(1000 + n);

const upsert = (collection, n, rev, fields, op = 'upsert') => ({
  op,
  collection,
  id: typeof n === 'string' ? n : id(n),
  rev,
  record: {
    id: typeof n === 'string' ? n : id(n),
    collection,
    rev,
    deleted: op === 'delete',
    fields,
  },
});
const visit = (n, rev = 1, extra = {}, op = 'upsert') =>
  upsert(
    'visits',
    V(n),
    rev,
    {
      household_id: n % 2 ? H1 : H2,
      visited_at: `2026-11-${String(1 + (n % 28)).padStart(2, '0')}`,
      purpose: 'outreach',
      follow_up_needed: n === 3,
      ...extra,
    },
    op,
  );

/**
 * A phone after a first sync in the pull worker: two households and `visits` visits (odd ones of
 * the first household), on one page, stored as the worker stores it.
 */
async function firstSync(visits = 300) {
  const db = freshDb();
  const changes = [
    upsert('households', H1, 1, household({ head_name: 'Nguyễn Văn An' })),
    upsert('households', H2, 1, household({ head_name: 'Lê Thị Bé' })),
  ];
  for (let n = 1; n <= visits; n++) changes.push(visit(n));
  const bundled = new Set();
  await storePullPage(db, { changes, cursor: 'c:1' }, { first: true, known: [], bundled });
  return { db, bundled };
}

/** A later page, stored as the worker stores one after a first sync. */
const laterPage = (db, changes, from = 'c:1', cursor = 'c:2') =>
  storePullPage(db, { changes, cursor }, { from });

// Each test below stores a first sync of hundreds of records in fake-indexeddb: about 0.3–3 s
// alone, more on a busy machine, so longer than vitest's 5 s default is allowed.
describe('child records kept in bundles by a first sync', { timeout: 30_000 }, () => {
  it('are stored many to a row, and found one by one, by household, by collection and counted', async () => {
    const { db } = await firstSync(300);
    expect(await db.records.count()).toBe(2);
    expect(await db.bundles.count()).toBe(Math.ceil(300 / BUNDLE_SIZE));
    expect((await getRecord(db, 'visits', V(7)))?.fields.purpose).toBe('outreach');
    expect(await getRecord(db, 'visits', id(9999))).toBeUndefined();
    const both = await getRecords(db, [
      ['visits', V(300)],
      ['households', H1],
      ['visits', id(9999)],
    ]);
    expect(both.map((r) => r?.id)).toEqual([V(300), H1, undefined]);
    expect(await householdRecords(db, 'visits', H1)).toHaveLength(150);
    expect((await householdChildren(db, H2)).visits).toHaveLength(150);
    expect((await collectionRecords(db, 'visits')).map((r) => r.id)).toEqual(
      Array.from({ length: 300 }, (_, i) => V(i + 1)),
    );
    expect(await countRecords(db, 'visits')).toBe(300);
    // The follow-up filter reads every visit.
    const followUp = await findHouseholds(db, { followUp: true });
    expect(followUp.rows.map((r) => r.id)).toEqual([H1]);
  });

  it('an edit moves the record out of its bundle, on top of the server state it was made on', async () => {
    const { db } = await firstSync();
    const op = await saveChange(db, 'visits', V(5), { purpose: 'follow-up' });
    expect(op?.base_rev).toBe(1);
    expect(op?.fields).toEqual({ purpose: 'follow-up' });
    const row = await db.records.get(['visits', V(5)]);
    expect(row?.patch).toEqual({ purpose: 'follow-up' });
    expect(row?.server?.rev).toBe(1);
    const mine = (await householdChildren(db, H1)).visits.filter((r) => r.id === V(5));
    expect(mine.map((r) => r.fields.purpose)).toEqual(['follow-up']);
    expect(
      await db.bundles
        .where('keys')
        .equals(`visits/${V(5)}`)
        .count(),
    ).toBe(0);
    expect(await countRecords(db, 'visits')).toBe(300);
  });

  it('a read while records leave their bundles finds each of them, before or after', async () => {
    const { db } = await firstSync();
    const edited = [1, 3, 5, 7, 9, 11, 13, 15];
    // Each edit moves its visit out of its bundle into `records` while the reads run.
    const reads = edited.flatMap((n) => [
      saveChange(db, 'visits', V(n), { purpose: 'follow-up' }),
      getRecord(db, 'visits', V(n)),
      getRecords(db, [['visits', V(n)]]).then(([r]) => r),
      householdRecords(db, 'visits', H1).then((rows) => rows.find((r) => r.id === V(n))),
      collectionRecords(db, 'visits').then((rows) => rows.find((r) => r.id === V(n))),
      countRecords(db, 'visits'),
    ]);
    const answers = await Promise.all(reads);
    for (let i = 0; i < answers.length; i += 6) {
      const [, one, many, byHousehold, all, count] = answers.slice(i, i + 6);
      for (const found of [one, many, byHousehold, all]) expect(found?.id).toBe(V(edited[i / 6]));
      expect(count).toBe(300);
    }
  });

  it('a delete on the phone hides the record and is sent against its revision', async () => {
    const { db } = await firstSync();
    await deleteRecord(db, 'visits', V(6));
    const [op] = await db.outbox.toArray();
    expect(op).toMatchObject({ delete: true, base_rev: 1, id: V(6) });
    expect((await householdChildren(db, H2)).visits.map((r) => r.id)).not.toContain(V(6));
    expect((await getRecord(db, 'visits', V(6)))?.localDelete).toBe(true);
  });

  it('a push answer lands on the record, which stays out of its bundle', async () => {
    const { db } = await firstSync();
    await saveChange(db, 'visits', V(9), { purpose: 'follow-up' });
    const batch = await takeBatch(db, 10);
    const record = {
      id: V(9),
      collection: 'visits',
      rev: 2,
      deleted: false,
      fields: { ...visit(9).record.fields, purpose: 'follow-up' },
    };
    await applyPushResults(db, batch, [
      { op_id: batch[0].op_id, status: 'applied', rev: 2, record },
    ]);
    const rows = await householdRecords(db, 'visits', H1);
    expect(rows.filter((r) => r.id === V(9)).map((r) => [r.server?.rev, r.patch])).toEqual([
      [2, null],
    ]);
    expect(await db.outbox.count()).toBe(0);
  });

  it('a later page: a newer revision wins, an older one changes nothing, a flag is found', async () => {
    const { db } = await firstSync();
    await laterPage(db, [
      visit(11, 3, { purpose: 'newer' }),
      { ...visit(12, 2), record: { ...visit(12, 2).record, meta: review('has_issues') } },
    ]);
    await laterPage(db, [visit(11, 2, { purpose: 'older' })], 'c:2', 'c:3');
    const r11 = await getRecord(db, 'visits', V(11));
    expect([r11?.server?.rev, r11?.fields.purpose]).toEqual([3, 'newer']);
    expect((await flaggedRecords(db)).map((r) => r.id)).toEqual([V(12)]);
    expect((await householdRecords(db, 'visits', H1)).filter((r) => r.id === V(11))).toHaveLength(
      1,
    );
    expect(await countRecords(db, 'visits')).toBe(300);
  });

  it('a tombstone or an eviction on a later page removes it, in the worker or on the page', async () => {
    const { db } = await firstSync();
    await laterPage(db, [
      visit(21, 2, {}, 'delete'),
      { op: 'evict', collection: 'visits', id: V(22) },
    ]);
    await applyPullPage(db, {
      changes: [visit(23, 2, {}, 'delete'), { op: 'evict', collection: 'visits', id: V(24) }],
      cursor: 'c:3',
    });
    for (const n of [21, 22, 23, 24]) expect(await getRecord(db, 'visits', V(n))).toBeUndefined();
    expect(await countRecords(db, 'visits')).toBe(296);
    expect((await householdChildren(db, H2)).visits.map((r) => r.id)).not.toContain(V(22));
  });

  it('a later page of the same first sync replaces or removes what an earlier one bundled', async () => {
    const { db, bundled } = await firstSync();
    await storePullPage(
      db,
      {
        changes: [visit(31, 2, { purpose: 'again' }), visit(32, 2, {}, 'delete')],
        cursor: 'c:2',
      },
      { first: true, known: [], bundled, from: 'c:1' },
    );
    const rows = (await householdRecords(db, 'visits', H1)).filter((r) => r.id === V(31));
    expect(rows.map((r) => [r.server?.rev, r.fields.purpose])).toEqual([[2, 'again']]);
    expect(await getRecord(db, 'visits', V(32))).toBeUndefined();
    expect(await countRecords(db, 'visits')).toBe(299);
  });

  it('should a record be in records and in a bundle, the row in records wins everywhere', async () => {
    const { db } = await firstSync();
    for (const n of [61, 63]) {
      const bundled = await getRecord(db, 'visits', V(n));
      await db.records.put({
        ...bundled,
        server: { ...bundled.server, rev: 3 },
        patch: { notes: 'typed' },
        fields: { ...bundled.fields, notes: 'typed' },
      });
    }
    expect((await getRecord(db, 'visits', V(61)))?.patch).toEqual({ notes: 'typed' });
    const rows = (await householdRecords(db, 'visits', H1)).filter((r) => r.id === V(61));
    expect(rows.map((r) => r.server?.rev)).toEqual([3]);
    expect((await collectionRecords(db, 'visits')).filter((r) => r.id === V(61))).toHaveLength(1);
    // A later page with an older revision, in the worker and on the page: moved out of the
    // bundle, the old row loses.
    await laterPage(db, [visit(61, 2)]);
    await applyPullPage(db, { changes: [visit(63, 2)], cursor: 'c:3' });
    for (const n of [61, 63]) {
      const after = await getRecord(db, 'visits', V(n));
      expect([after?.server?.rev, after?.patch]).toEqual([3, { notes: 'typed' }]);
    }
  });

  it('never bundles a record with a change typed on the phone, nor a flagged one', async () => {
    const db = freshDb();
    await saveChange(db, 'visits', V(1), { notes: 'typed offline' });
    // A change the server kept as a conflict: nothing pending, its notice still listed.
    await saveChange(db, 'visits', V(4), { notes: 'mine' });
    const [, conflict] = await db.outbox.toArray();
    await db.outbox.update(/** @type {number} */ (conflict.seq), {
      state: 'conflict',
      conflict_rev: 1,
    });
    const known = await db.outbox.toArray();
    const flagged = visit(2);
    flagged.record.meta = review('rejected');
    await storePullPage(
      db,
      { changes: [visit(1), flagged, visit(3), visit(4)], cursor: 'c:1' },
      { first: true, known, bundled: new Set() },
    );
    expect((await db.records.get(['visits', V(4)]))?.patch).toBeNull();
    expect(await db.outbox.count()).toBe(2);
    const mine = await db.records.get(['visits', V(1)]);
    expect(mine?.patch).toEqual({ notes: 'typed offline' });
    expect(mine?.server?.rev).toBe(1);
    expect((await db.records.get(['visits', V(2)]))?.rv).toBe('rejected');
    expect(await db.records.get(['visits', V(3)])).toBeUndefined();
    expect((await getRecord(db, 'visits', V(3)))?.id).toBe(V(3));
  });

  it("an eviction, a photo's record and whom a change is about see bundled records", async () => {
    const { db } = await firstSync();
    const photo = await addPhoto(db, {
      collection: 'visits',
      record: V(41),
      reduced: {
        data: new ArrayBuffer(4),
        type: 'image/jpeg',
        size: 4,
        sha256: 'ab',
        width: 1,
        height: 1,
      },
      draft: false,
    });
    // A photo of that visit sent from another device, as the feed tells of it.
    const PH = id(5000);
    await laterPage(db, [
      upsert('photos', PH, 1, {
        record_collection: 'visits',
        record_id: V(41),
        household_id: H1,
        size: 2000,
        sha256: 'a'.repeat(64),
        content_type: 'image/webp',
        width: 1600,
        height: 900,
      }),
    ]);
    await evictPhotos(db);
    expect(await db.photos.get(photo.id)).toBeDefined();
    expect((await recordPhotos(db, 'visits', V(41))).map((p) => p.id).sort()).toEqual(
      [photo.id, PH].sort(),
    );
    await db.transaction('rw', db.records, db.outbox, db.bundles, () =>
      evictRecord(db, 'visits', V(42)),
    );
    expect(await getRecord(db, 'visits', V(42))).toBeUndefined();
    // As applyPushResults calls it: inside an async transaction callback.
    const about = await db.transaction('r', db.records, db.bundles, async () =>
      aboutOp(db, /** @type {any} */ ({ collection: 'visits', id: V(43), fields: null })),
    );
    expect(about?.name).toBe('Nguyễn Văn An');
  });

  it('signing out, a revocation and a full resync leave no bundle behind', async () => {
    for (const forget of [
      (db) => signOut(db, { logout: async () => {} }, { force: true }),
      (db) => forgetServerData(db, 'revoked'),
      (db) => resetForFullResync(db),
    ]) {
      const { db } = await firstSync();
      await setMeta(db, 'session', { token: 't', user: { id: 'u1' } });
      await saveChange(db, 'visits', V(51), { notes: 'typed' });
      await forget(db);
      expect(await db.bundles.count()).toBe(0);
      expect(await getRecord(db, 'visits', V(52))).toBeUndefined();
    }
  });
});

describe('the upgrade to bundles', { timeout: 30_000 }, () => {
  it('a phone of the version before keeps everything and finds it after the upgrade', async () => {
    const name = `upgrade-8-${Math.random()}`;
    const old = new Dexie(name);
    old.version(7).stores({
      records: '[collection+id], [collection+hh], [collection+search], rv',
      outbox: '++seq, &op_id, [collection+id], state',
      meta: 'key',
      drafts: 'key',
      photos: 'id, [collection+record], state',
    });
    const serverFields = { household_id: H1, purpose: 'outreach', follow_up_needed: true };
    const patch = { notes: 'typed offline' };
    // As version 7 stored them: a household, a pulled visit with a pending edit, a visit.
    await old.table('records').bulkPut([
      {
        collection: 'households',
        id: H1,
        server: { fields: household(), rev: 1, meta: { quarter_id: Q1 }, deleted: false },
        patch: null,
        localDelete: false,
        fields: household(),
        hh: null,
        q: Q1,
        search: 'nguyen van an 12 hung vuong',
      },
      {
        collection: 'visits',
        id: V(1),
        server: { fields: serverFields, rev: 2, meta: null, deleted: false },
        patch,
        localDelete: false,
        fields: { ...serverFields, ...patch },
        hh: H1,
        q: null,
        search: null,
      },
      {
        collection: 'visits',
        id: V(2),
        server: { fields: { household_id: H1 }, rev: 1, meta: null, deleted: false },
        patch: null,
        localDelete: false,
        fields: { household_id: H1 },
        hh: H1,
        q: null,
        search: null,
      },
    ]);
    await old.table('outbox').add({
      op_id: '0190a000-0000-7000-8000-000000000101',
      collection: 'visits',
      id: V(1),
      base_rev: 2,
      fields: patch,
      delete: false,
      state: 'pending',
      attempts: 0,
      client_time: '2026-11-30T07:00:00+07:00',
    });
    await old.table('meta').put({ key: 'cursor', value: 'c:9' });
    old.close();

    const db = openDb(name);
    await db.open();
    expect(db.verno).toBe(8);
    expect(await db.bundles.count()).toBe(0);
    expect(await db.records.count()).toBe(3);
    const children = (await householdChildren(db, H1)).visits;
    expect(children.map((r) => r.id).sort()).toEqual([V(1), V(2)]);
    expect((await getRecord(db, 'visits', V(1)))?.patch).toEqual(patch);
    expect(await db.outbox.count()).toBe(1);
    expect(await getMeta(db, 'cursor')).toBe('c:9');
    expect((await findHouseholds(db, { followUp: true })).rows.map((r) => r.id)).toEqual([H1]);
    // A later page meets the records where they are.
    await storePullPage(db, { changes: [visit(2, 2)], cursor: 'c:10' }, { from: 'c:9' });
    expect((await getRecord(db, 'visits', V(2)))?.server?.rev).toBe(2);
    db.close();
  });
});

/** @param {string} status */
function review(status) {
  return { review: { status, comment: null, by: { id: 'sup', name: 'Giám' }, at: '2026-11-30' } };
}

describe('how a bundle holds its records', { timeout: 30_000 }, () => {
  it('as one JSON text of their server states, made into the same rows again', async () => {
    const { db } = await firstSync(300);
    const [stored] = await db.bundles.toArray();
    expect(typeof stored.text).toBe('string');
    expect(stored.rows).toBeUndefined();
    // The rows as the page's thread would store them (records.js), one by one.
    const plain = freshDb();
    const meta = {
      created_by: { id: 'u1', name: 'Lê Văn' },
      updated_by: { id: 'u1', name: 'Lê Văn' },
      review: { status: 'pending', comment: null },
      open_conflicts: 0,
    };
    const changes = [visit(1), visit(2, 3, { notes: 'Chú ý' })];
    changes[1].record.meta = meta;
    await applyPullPage(plain, { changes, cursor: 'c:1' }, { first: true });
    const rows = await plain.records.toArray();
    expect(bundleRows(makeBundles(rows)[0])).toEqual(rows);
  });

  it('bundles stored as rows before are read, and rewritten as text when a record leaves', async () => {
    const { db } = await firstSync(300);
    // Every bundle as the build before stored it: the rows themselves.
    for (const b of await db.bundles.toArray())
      await db.bundles.put({ n: b.n, rows: bundleRows(b), keys: b.keys, hhs: b.hhs });
    expect((await db.bundles.toArray()).every((b) => b.rows && !b.text)).toBe(true);
    expect((await getRecord(db, 'visits', V(7)))?.fields.purpose).toBe('outreach');
    expect(await householdRecords(db, 'visits', H1)).toHaveLength(150);
    expect(await countRecords(db, 'visits')).toBe(300);
    await saveChange(db, 'visits', V(5), { purpose: 'follow-up' });
    expect((await getRecord(db, 'visits', V(5)))?.fields.purpose).toBe('follow-up');
    const left = await db.bundles
      .where('keys')
      .equals(`visits/${V(6)}`)
      .first();
    expect(left?.rows).toBeUndefined();
    expect(bundleRows(/** @type {any} */ (left)).map((r) => r.id)).not.toContain(V(5));
    expect(await countRecords(db, 'visits')).toBe(300);
  });
});

describe('what a first sync bundles', { timeout: 30_000 }, () => {
  it("a household's children and nothing else", () => {
    for (const c of ['visits', 'registrations', 'support', 'assessments'])
      expect(mayBeBundled(c), c).toBe(true);
    for (const c of ['households', 'nominations', 'quarters', 'groups', 'campaigns', 'photos'])
      expect(mayBeBundled(c), c).toBe(false);
  });

  it('a record twice on one page is stored once, as its last occurrence', async () => {
    const db = freshDb();
    const changes = [
      upsert('households', H1, 1, household()),
      upsert('households', H2, 1, household()),
    ];
    for (let n = 1; n <= 10; n++)
      changes.push(
        n === 3
          ? { ...visit(3), record: { ...visit(3).record, meta: review('has_issues') } }
          : visit(n),
      );
    // Visit 3 flagged (kept in `records`) then not; visit 5 bundled twice without the rule.
    changes.push(visit(3, 2, { purpose: 'later' }), visit(5, 2, { purpose: 'later' }));
    await storePullPage(
      db,
      { changes, cursor: 'c:1' },
      { first: true, known: [], bundled: new Set() },
    );
    for (const n of [3, 5]) {
      const r = await getRecord(db, 'visits', V(n));
      expect([r?.server?.rev, r?.fields.purpose, r?.rv]).toEqual([2, 'later', undefined]);
      const all = (await collectionRecords(db, 'visits')).filter((x) => x.id === V(n));
      expect(all.map((x) => x.server?.rev)).toEqual([2]);
    }
    expect(await countRecords(db, 'visits')).toBe(10);
    expect(await flaggedRecords(db)).toEqual([]);
    const op = await saveChange(db, 'visits', V(5), { purpose: 'typed' });
    expect(op?.base_rev).toBe(2);
    expect((await db.records.get(['visits', V(5)]))?.server?.rev).toBe(2);
  });

  it('never bundles a record that `records` holds: that row is written over', async () => {
    const db = freshDb();
    // A visit in `records` with no op when the first sync's page comes (as a push answer would
    // leave it, its op done).
    await db.records.put({
      collection: 'visits',
      id: V(7),
      server: { fields: visit(7).record.fields, rev: 1, meta: null, deleted: false },
      patch: null,
      localDelete: false,
      fields: visit(7).record.fields,
      hh: H1,
      q: null,
      search: null,
    });
    const changes = [upsert('households', H1, 1, household())];
    for (let n = 1; n <= 9; n += 2) changes.push(visit(n, n === 7 ? 2 : 1, { purpose: 'pulled' }));
    await storePullPage(
      db,
      { changes, cursor: 'c:1' },
      { first: true, known: [], bundled: new Set() },
    );
    const r = await getRecord(db, 'visits', V(7));
    expect([r?.server?.rev, r?.fields.purpose]).toEqual([2, 'pulled']);
    expect(
      await db.bundles
        .where('keys')
        .equals(`visits/${V(7)}`)
        .count(),
    ).toBe(0);
    expect(
      await db.bundles
        .where('keys')
        .equals(`visits/${V(9)}`)
        .count(),
    ).toBe(1);
    expect(await countRecords(db, 'visits')).toBe(5);
  });
});

describe('a later pull meeting bundled records', { timeout: 30_000 }, () => {
  /**
   * Counts the requests that read bundles: through the `keys` index and by number.
   * @param {() => Promise<any>} run
   */
  async function bundleReads(run) {
    const reads = { indexValues: 0, indexKeys: 0, byNumber: 0 };
    const index = globalThis.IDBIndex.prototype;
    const store = globalThis.IDBObjectStore.prototype;
    const { getAll, getAllKeys } = index;
    const { get } = store;
    index.getAll = function (...args) {
      if (this.objectStore.name === 'bundles') reads.indexValues++;
      return getAll.apply(this, args);
    };
    index.getAllKeys = function (...args) {
      if (this.objectStore.name === 'bundles') reads.indexKeys++;
      return getAllKeys.apply(this, args);
    };
    store.get = function (...args) {
      if (this.name === 'bundles') reads.byNumber++;
      return get.apply(this, args);
    };
    try {
      await run();
    } finally {
      Object.assign(index, { getAll, getAllKeys });
      store.get = get;
    }
    return reads;
  }

  it('reads and rewrites no bundle for changed records, each bundle once for removed ones', async () => {
    const { db } = await firstSync(300); // 2 bundles
    const changes = [];
    for (let n = 1; n <= 300; n += 3) changes.push(visit(n, 2, { purpose: 'changed' }));
    const reads = await bundleReads(() => laterPage(db, changes));
    expect(reads).toEqual({ indexValues: 0, indexKeys: 0, byNumber: 0 });
    expect((await getRecord(db, 'visits', V(283)))?.fields.purpose).toBe('changed');
    expect((await getRecord(db, 'visits', V(284)))?.fields.purpose).toBe('outreach');
    expect(await countRecords(db, 'visits')).toBe(300);
    const removed = [];
    for (let n = 2; n <= 300; n += 3)
      removed.push(
        n % 2 ? visit(n, 2, {}, 'delete') : { op: 'evict', collection: 'visits', id: V(n) },
      );
    const again = await bundleReads(() => laterPage(db, removed, 'c:2', 'c:3'));
    expect(again.indexValues).toBe(0);
    expect(again.byNumber).toBe(Math.ceil(300 / BUNDLE_SIZE));
    expect(await countRecords(db, 'visits')).toBe(200);
  });

  it('with no bundle on the phone, looks nothing up', async () => {
    const db = freshDb();
    const changes = [upsert('households', H1, 1, household())];
    for (let n = 1; n <= 99; n += 2) changes.push(visit(n));
    await storePullPage(db, { changes, cursor: 'c:1' }, { first: true, known: [] });
    expect(await db.bundles.count()).toBe(0);
    const later = changes.slice(1).map((c) => visit(Number(c.id.slice(-4)) - 1000, 2));
    const reads = await bundleReads(() => laterPage(db, later));
    expect(reads).toEqual({ indexValues: 0, indexKeys: 0, byNumber: 0 });
    expect((await getRecord(db, 'visits', V(99)))?.server?.rev).toBe(2);
  });
});

describe(
  'a later pull writes over bundled copies, which it leaves as they are',
  { timeout: 30_000 },
  () => {
    /** Every bundle row as stored, to compare before and after. */
    const bundleRows = (db) => db.bundles.toArray();

    /** Whether the visit `n` is listed under each household, and how (`purpose`, rev), everywhere. */
    async function seen(db, n) {
      const k = V(n);
      const pick = (rows) =>
        rows.filter((r) => r.id === k).map((r) => [r.fields.purpose, r.server?.rev]);
      return {
        one: await getRecord(db, 'visits', k).then((r) =>
          r ? [r.fields.purpose, r.server?.rev] : null,
        ),
        many: (await getRecords(db, [['visits', k]])).map((r) => (r ? r.fields.purpose : null)),
        h1: pick(await householdRecords(db, 'visits', H1)),
        h2: pick(await householdRecords(db, 'visits', H2)),
        children1: pick((await householdChildren(db, H1)).visits),
        children2: pick((await householdChildren(db, H2)).visits),
        all: pick(await collectionRecords(db, 'visits')),
        count: await countRecords(db, 'visits'),
      };
    }

    it('a changed record: its bundle row untouched, every read shows the new state', async () => {
      const { db } = await firstSync(300);
      const before = await bundleRows(db);
      await laterPage(db, [visit(7, 2, { purpose: 'changed', follow_up_needed: true })]);
      await applyPullPage(db, {
        changes: [visit(7, 3, { purpose: 'again', follow_up_needed: true })],
        cursor: 'c:3',
      });
      expect(await bundleRows(db)).toEqual(before);
      expect(await seen(db, 7)).toEqual({
        one: ['again', 3],
        many: ['again'],
        h1: [['again', 3]],
        h2: [],
        children1: [['again', 3]],
        children2: [],
        all: [['again', 3]],
        count: 300,
      });
      // The follow-up filter reads every visit: the changed one counts, once.
      expect((await findHouseholds(db, { followUp: true })).rows.map((r) => r.id)).toEqual([H1]);
    });

    it('a record moved to another household is listed there only, in the worker or on the page', async () => {
      const { db } = await firstSync(300);
      const before = await bundleRows(db);
      await laterPage(db, [visit(5, 2, { household_id: H2, purpose: 'moved' })]);
      await applyPullPage(db, {
        changes: [visit(8, 2, { household_id: H1, purpose: 'moved' })],
        cursor: 'c:3',
      });
      expect(await bundleRows(db)).toEqual(before);
      const moved = (to) => ({
        one: ['moved', 2],
        many: ['moved'],
        h1: to === H1 ? [['moved', 2]] : [],
        h2: to === H2 ? [['moved', 2]] : [],
        children1: to === H1 ? [['moved', 2]] : [],
        children2: to === H2 ? [['moved', 2]] : [],
        all: [['moved', 2]],
        count: 300,
      });
      expect(await seen(db, 5)).toEqual(moved(H2));
      expect(await seen(db, 8)).toEqual(moved(H1));
      expect(await householdRecords(db, 'visits', H1)).toHaveLength(150);
      expect(await householdRecords(db, 'visits', H2)).toHaveLength(150);
    });

    it('a deleted or evicted record never comes back from its bundle, changed before or not', async () => {
      const { db } = await firstSync(300);
      // 31 and 32 changed (shadowed) first, 33 and 34 straight from their bundle.
      await laterPage(db, [
        visit(31, 2, { purpose: 'changed' }),
        visit(32, 2, { household_id: H1 }),
      ]);
      await laterPage(
        db,
        [
          visit(31, 3, {}, 'delete'),
          { op: 'evict', collection: 'visits', id: V(32) },
          visit(33, 2, {}, 'delete'),
        ],
        'c:2',
        'c:3',
      );
      await applyPullPage(db, {
        changes: [{ op: 'evict', collection: 'visits', id: V(34) }],
        cursor: 'c:4',
      });
      const gone = {
        one: null,
        many: [null],
        h1: [],
        h2: [],
        children1: [],
        children2: [],
        all: [],
        count: 296,
      };
      for (const n of [31, 32, 33, 34]) expect(await seen(db, n)).toEqual(gone);
      expect(
        await db.bundles
          .where('keys')
          .anyOf([31, 32, 33, 34].map((n) => `visits/${V(n)}`))
          .count(),
      ).toBe(0);
      // A user's writer meeting a removed record finds nothing to bring back.
      await db.transaction('rw', db.records, db.outbox, db.bundles, () =>
        evictRecord(db, 'visits', V(33)),
      );
      expect(await getRecord(db, 'visits', V(33))).toBeUndefined();
    });

    it('nothing from an outbox op is hidden by a bundled copy, before or after a later page', async () => {
      const { db } = await firstSync(300);
      await laterPage(db, [
        visit(41, 2, { purpose: 'changed' }),
        visit(42, 2, { purpose: 'changed' }),
      ]);
      await saveChange(db, 'visits', V(41), { notes: 'typed', household_id: H2 });
      await deleteRecord(db, 'visits', V(42));
      await saveChange(db, 'visits', V(43), { notes: 'typed too' });
      // The server's newer revisions arrive under the pending changes.
      await laterPage(
        db,
        [visit(41, 3, { purpose: 'newer' }), visit(43, 2, { purpose: 'newer' })],
        'c:2',
        'c:3',
      );
      const s41 = await seen(db, 41);
      expect(s41.h1).toEqual([]);
      expect(s41.h2).toEqual([['newer', 3]]);
      expect(s41.all).toEqual([['newer', 3]]);
      expect((await getRecord(db, 'visits', V(41)))?.fields.notes).toBe('typed');
      expect((await getRecord(db, 'visits', V(42)))?.localDelete).toBe(true);
      expect(
        (await householdRecords(db, 'visits', H2))
          .filter((r) => r.id === V(42))
          .map((r) => r.localDelete),
      ).toEqual([true]);
      const r43 = (await householdRecords(db, 'visits', H1)).filter((r) => r.id === V(43));
      expect(r43.map((r) => [r.fields.notes, r.fields.purpose, r.server?.rev])).toEqual([
        ['typed too', 'newer', 2],
      ]);
      expect(await countRecords(db, 'visits')).toBe(300);
      expect(await db.outbox.count()).toBe(3);
      // Each change was made on the revision the user saw, bundled or shadowed.
      const ops = await db.outbox.toArray();
      expect(ops.map((o) => [o.id, o.base_rev])).toEqual([
        [V(41), 2],
        [V(42), 2],
        [V(43), 1],
      ]);
    });
  },
);
