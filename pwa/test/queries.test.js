import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { openDb } from '../src/db.js';
import { deleteRecord, saveChange } from '../src/outbox.js';
import { findHouseholds, flaggedHouseholdIds, toFixCount, toFixList } from '../src/queries.js';
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
  db.transaction('rw', db.records, db.outbox, () => storeServerRecord(db, wire));

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
