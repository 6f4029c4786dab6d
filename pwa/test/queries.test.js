import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { getMeta, openDb } from '../src/db.js';
import { deleteRecord, saveChange } from '../src/outbox.js';
import {
  findHouseholds,
  flaggedHouseholdIds,
  possibleDuplicates,
  toFixCount,
  toFixList,
} from '../src/queries.js';
import { storeServerRecord } from '../src/records.js';
import { freshDb, household } from './helpers.js';

const H1 = '0190a000-0000-7000-8000-0000000000a1';
const H2 = '0190a000-0000-7000-8000-0000000000a2';
const V1 = '0190a000-0000-7000-8000-0000000000b1';
const R1 = '0190a000-0000-7000-8000-0000000000c1';

/** @param {string} status @param {string|null} [comment] @param {string} [at] */
const review = (status, comment = null, at = '2024-10-15T08:00:00+07:00') => ({
  review: { status, comment, by: { id: 'sup', name: 'Trần Văn Giám' }, at },
});

/** @param {any} db @param {any} wire */
const store = (db, wire) =>
  db.transaction('rw', db.records, db.outbox, db.bundles, () => storeServerRecord(db, wire));

async function town() {
  const db = freshDb();
  await store(db, {
    collection: 'households',
    id: H1,
    rev: 1,
    fields: household({ head_name: 'Nguyễn Văn An' }),
    meta: review('pending'),
  });
  await store(db, {
    collection: 'households',
    id: H2,
    rev: 1,
    fields: household({ head_name: 'Lê Thị Bình' }),
    meta: review('approved'),
  });
  await store(db, {
    collection: 'visits',
    id: V1,
    rev: 2,
    fields: { household_id: H1, visited_at: '2024-10-14T09:00:00+07:00', purpose: 'outreach' },
    meta: review('has_issues', 'Ghi rõ ngày hẹn', '2024-10-15T09:00:00+07:00'),
  });
  await store(db, {
    collection: 'registrations',
    id: R1,
    rev: 2,
    fields: { household_id: H2, kind: 'clean_water', status: 'registered', persons: 0 },
    meta: review('rejected', 'Trùng'),
  });
  return db;
}

describe('flagged work', () => {
  it('a household with a flagged child record counts as flagged', async () => {
    const db = await town();
    expect(await flaggedHouseholdIds(db)).toEqual(new Set([H1, H2]));
    const found = await findHouseholds(db, { flagged: true });
    expect(found.rows.map((r) => r.id).sort()).toEqual([H1, H2].sort());
  });

  it('lists rejected records without counting them, newest flag first', async () => {
    const db = await town();
    const list = await toFixList(db);
    expect(list.items.map((i) => i.record.id)).toEqual([V1, R1]);
    expect(list.items[0].household?.fields.head_name).toBe('Nguyễn Văn An');
    expect(list.items[0].review.comment).toBe('Ghi rõ ngày hẹn');
    expect(list.toFix).toBe(1);
    expect(await toFixCount(db)).toBe(1);
  });

  it('a fix saved on the phone stops counting; the record leaves once the server has it', async () => {
    const db = await town();
    await saveChange(db, 'visits', V1, { notes: 'Hẹn thứ Bảy' });
    expect(await toFixCount(db)).toBe(0);
    expect((await toFixList(db)).items.find((i) => i.record.id === V1)?.fixed).toBe(true);
    await db.outbox.clear();
    await store(db, {
      collection: 'visits',
      id: V1,
      rev: 3,
      fields: { household_id: H1, purpose: 'outreach', notes: 'Hẹn thứ Bảy' },
      meta: review('edited', 'Ghi rõ ngày hẹn'),
    });
    expect((await toFixList(db)).items.map((i) => i.record.id)).toEqual([R1]);
  });

  it('a database of the version before finds its flagged records after the upgrade', async () => {
    const name = `upgrade-${Math.random()}`;
    const old = new Dexie(name);
    old.version(2).stores({
      records: '[collection+id], collection, [collection+hh], [collection+q], [collection+search]',
      outbox: '++seq, &op_id, [collection+id], state',
      meta: 'key',
    });
    await old.table('records').put({
      collection: 'visits',
      id: V1,
      server: { fields: {}, rev: 2, meta: review('has_issues', 'x'), deleted: false },
      patch: null,
      localDelete: false,
      fields: {},
      hh: H1,
      q: null,
      search: '',
    });
    old.close();
    const db = openDb(name);
    expect(await toFixCount(db)).toBe(1);
    db.close();
  });
});

describe('search as the user types', () => {
  it('finds what was saved after an earlier search, and drops what was deleted', async () => {
    const db = await town();
    expect((await findHouseholds(db, { query: 'nguyen' })).total).toBe(1);
    await saveChange(db, 'households', '0190a000-0000-7000-8000-0000000000a9', {
      ...household({ head_name: 'Nguyễn Thị Chín' }),
    });
    const found = await findHouseholds(db, { query: 'nguyen' }, 50);
    expect(found.rows.map((r) => r.fields.head_name).sort()).toEqual([
      'Nguyễn Thị Chín',
      'Nguyễn Văn An',
    ]);
    await deleteRecord(db, 'households', '0190a000-0000-7000-8000-0000000000a9');
    expect((await findHouseholds(db, { query: 'chin' })).total).toBe(0);
  });
});

describe('possible duplicates of a household', () => {
  const Q1 = '00000000-0000-4000-8000-000000000001';
  const Q2 = '00000000-0000-4000-8000-000000000002';
  const H3 = '0190a000-0000-7000-8000-0000000000a3';
  const H4 = '0190a000-0000-7000-8000-0000000000a4';
  const NEW = '0190a000-0000-7000-8000-0000000000ff';

  it('are the households of the same neighbourhood with the same head name and address, diacritics, case and spaces ignored', async () => {
    const db = freshDb();
    const put = (id, fields) =>
      store(db, { collection: 'households', id, rev: 1, fields: household(fields), meta: {} });
    await put(H1, { quarter_id: Q1, head_name: 'Nguyễn Văn An', address: '12 Hùng Vương' });
    await put(H2, { quarter_id: Q1, head_name: 'nguyen  van an', address: '12 HUNG VUONG' });
    await put(H3, { quarter_id: Q2, head_name: 'Nguyễn Văn An', address: '12 Hùng Vương' });
    await put(H4, { quarter_id: Q1, head_name: 'Nguyễn Văn Anh', address: '12 Hùng Vương' });
    const typed = {
      id: NEW,
      quarter_id: Q1,
      head_name: 'Nguyễn Văn  An ',
      address: '12 Hùng Vương',
    };
    const found = await possibleDuplicates(db, typed);
    expect(found.map((r) => r.id).sort()).toEqual([H1, H2]);
    // Not the household being edited itself, nor one deleted on this phone.
    expect((await possibleDuplicates(db, { ...typed, id: H1 })).map((r) => r.id)).toEqual([H2]);
    await deleteRecord(db, 'households', H2);
    expect((await possibleDuplicates(db, typed)).map((r) => r.id)).toEqual([H1]);
  });

  it('a phone of the version before keeps everything typed and finds duplicates after the upgrade', async () => {
    const name = `upgrade-7-${Math.random()}`;
    const old = new Dexie(name);
    old.version(6).stores({
      records: '[collection+id], [collection+hh], [collection+q], [collection+search], rv',
      outbox: '++seq, &op_id, [collection+id], state',
      meta: 'key',
      drafts: 'key',
      photos: 'id, [collection+record], state',
    });
    const serverFields = household({ quarter_id: Q1, head_name: 'Nguyễn Văn An' });
    const patch = { phone: '0912345678' };
    // As version 6 stored them: a pulled household with a pending edit, one created on this
    // phone and never sent, a visit; the ops, a draft and a photo that go with them.
    await old.table('records').bulkPut([
      {
        collection: 'households',
        id: H1,
        server: { fields: serverFields, rev: 2, meta: { quarter_id: Q1 }, deleted: false },
        patch,
        localDelete: false,
        fields: { ...serverFields, ...patch },
        hh: null,
        q: Q1,
        search: 'nguyen van an 12 hung vuong 0912345678',
      },
      {
        collection: 'households',
        id: H2,
        server: null,
        patch: household({ quarter_id: Q1, head_name: 'Nguyễn văn an' }),
        localDelete: false,
        fields: household({ quarter_id: Q1, head_name: 'Nguyễn văn an' }),
        hh: null,
        q: Q1,
        search: 'nguyen van an 12 hung vuong',
      },
      {
        collection: 'visits',
        id: V1,
        server: {
          fields: { household_id: H1, purpose: 'outreach' },
          rev: 1,
          meta: { quarter_id: Q1 },
          deleted: false,
        },
        patch: null,
        localDelete: false,
        fields: { household_id: H1, purpose: 'outreach' },
        hh: H1,
        q: null,
        search: null,
      },
    ]);
    const op = (n, id, fields, base_rev) => ({
      op_id: `0190a000-0000-7000-8000-00000000010${n}`,
      collection: 'households',
      id,
      base_rev,
      fields,
      delete: false,
      state: 'pending',
      attempts: 0,
      client_time: '2026-11-30T07:00:00+07:00',
    });
    await old.table('outbox').bulkAdd([op(1, H1, patch, 2), op(2, H2, household(), null)]);
    await old.table('meta').bulkPut([
      { key: 'cursor', value: 'c:9' },
      { key: 'session', value: { token: 't', user: { id: 'u1' } } },
    ]);
    const draft = {
      key: `visits/${V1}`,
      collection: 'visits',
      recordId: V1,
      householdId: H1,
      path: `/households/${H1}/visits/${V1}`,
      title: 'Nguyễn Văn An',
      form: { notes: 'Hẹn thứ Bảy' },
      base: {},
      at: '2026-11-30T07:00:00+07:00',
    };
    await old.table('drafts').put(draft);
    const photo = {
      id: '0190a000-0000-7000-8000-000000000201',
      collection: 'visits',
      record: V1,
      data: new ArrayBuffer(8),
      type: 'image/jpeg',
      size: 8,
      sha256: 'ab'.repeat(32),
      width: 2,
      height: 2,
      state: 'waiting',
      sent: 0,
      at: '2026-11-30T07:00:00+07:00',
    };
    await old.table('photos').put(photo);
    old.close();

    const db = openDb(name);
    await db.open();
    expect(db.verno).toBeGreaterThanOrEqual(7);
    expect(db.records.schema.idxByName['[collection+q]']).toBeUndefined();
    const mine = await db.records.get(['households', H1]);
    expect(mine?.patch).toEqual(patch);
    expect(mine?.fields.phone).toBe('0912345678');
    expect(await db.records.count()).toBe(3);
    expect((await db.outbox.toArray()).map((o) => o.id)).toEqual([H1, H2]);
    expect(await db.drafts.get(draft.key)).toEqual(draft);
    expect((await db.photos.get(photo.id))?.state).toBe('waiting');
    expect(await getMeta(db, 'cursor')).toBe('c:9');
    const typed = { id: NEW, quarter_id: Q1, head_name: 'Nguyễn Văn An', address: '12 Hùng Vương' };
    expect((await possibleDuplicates(db, typed)).map((r) => r.id).sort()).toEqual([H1, H2]);
    expect((await findHouseholds(db, { quarter: Q1 })).total).toBe(2);
    db.close();
  });
});
