import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { saveChange } from '../src/outbox.js';
import { evictRecord, overlay, storeServerRecord } from '../src/records.js';
import { freshDb, household } from './helpers.js';

const H = '0190a000-0000-7000-8000-00000000000b';
const store = (db, wire) =>
  db.transaction('rw', db.records, db.outbox, db.bundles, () => storeServerRecord(db, wire));

describe('pending-patch overlay', () => {
  it('lays the patch over the server fields', () => {
    expect(overlay({ a: 1, b: 2 }, { b: 3 })).toEqual({ a: 1, b: 3 });
    expect(overlay(null, null)).toEqual({});
  });

  it('a pulled record keeps showing the pending local edit on top', async () => {
    const db = freshDb();
    await store(db, { collection: 'households', id: H, rev: 1, fields: household(), meta: {} });
    await saveChange(db, 'households', H, { phone: '0912345678' });
    await store(db, {
      collection: 'households',
      id: H,
      rev: 2,
      fields: household({ address: '99 Lê Lợi' }),
      meta: {},
    });
    const rec = await db.records.get(['households', H]);
    expect(rec?.fields.phone).toBe('0912345678');
    expect(rec?.fields.address).toBe('99 Lê Lợi');
    expect(rec?.server?.rev).toBe(2);
    expect(rec?.server?.fields.phone).toBeNull();
  });

  it('an older revision never overwrites a newer one', async () => {
    const db = freshDb();
    await store(db, {
      collection: 'households',
      id: H,
      rev: 5,
      fields: household({ address: 'new' }),
      meta: {},
    });
    await store(db, {
      collection: 'households',
      id: H,
      rev: 4,
      fields: household({ address: 'old' }),
      meta: {},
    });
    expect((await db.records.get(['households', H]))?.fields.address).toBe('new');
  });

  it('a tombstone removes the record unless something is pending', async () => {
    const db = freshDb();
    await store(db, { collection: 'households', id: H, rev: 1, fields: household(), meta: {} });
    await store(db, {
      collection: 'households',
      id: H,
      rev: 2,
      deleted: true,
      fields: household(),
      meta: {},
    });
    expect(await db.records.count()).toBe(0);
  });

  it('indexes search text without diacritics', async () => {
    const db = freshDb();
    await store(db, {
      collection: 'households',
      id: H,
      rev: 1,
      fields: household({ head_name: 'Đỗ Thị Hằng' }),
      meta: {},
    });
    expect((await db.records.get(['households', H]))?.search).toContain('do thi hang');
  });

  it('a visit is found by its household, and has no neighbourhood nor search text', async () => {
    const db = freshDb();
    const V = '0190a000-0000-7000-8000-00000000000c';
    await store(db, {
      collection: 'visits',
      id: V,
      rev: 1,
      fields: { household_id: H, visited_at: '2026-01-02T09:00:00+07:00' },
      meta: { quarter_id: 'q1' },
    });
    expect(await db.records.where('[collection+hh]').equals(['visits', H]).count()).toBe(1);
    const anySearch = ['visits', Dexie.minKey];
    expect(
      await db.records
        .where('[collection+search]')
        .between(anySearch, ['visits', Dexie.maxKey])
        .count(),
    ).toBe(0);
    const row = await db.records.get(['visits', V]);
    expect(row?.fields.household_id).toBe(H);
    expect(row?.q).toBeNull();
  });

  it('shows the server fields while nothing is pending, and the edit once one is', async () => {
    const db = freshDb();
    await store(db, { collection: 'households', id: H, rev: 1, fields: household(), meta: {} });
    expect((await db.records.get(['households', H]))?.fields).toEqual(household());
    await saveChange(db, 'households', H, { phone: '0912345678' });
    const row = await db.records.get(['households', H]);
    expect(row?.fields.phone).toBe('0912345678');
    expect(row?.server?.fields.phone).toBeNull();
  });

  it("keeps what the server's meta says, without its null values, and a flag's comment", async () => {
    const db = freshDb();
    const linh = { id: 'u7', name: 'Bùi Hoàng Linh' };
    const meta = (review) => ({
      quarter_id: 'q1',
      unit_id: null,
      created_at: '2026-11-30T07:30:38+00:00',
      created_by: { ...linh },
      updated_at: '2026-11-30T08:00:00+00:00',
      updated_by: { ...linh },
      review,
      open_conflicts: 0,
    });
    const pending = { status: 'pending', comment: null, by: null, at: null };
    await store(db, {
      collection: 'households',
      id: H,
      rev: 1,
      fields: household(),
      meta: meta(pending),
    });
    const row = await db.records.get(['households', H]);
    expect(row?.server?.meta).toEqual({
      quarter_id: 'q1',
      created_at: '2026-11-30T07:30:38+00:00',
      created_by: linh,
      updated_at: '2026-11-30T08:00:00+00:00',
      updated_by: linh,
      review: { status: 'pending' },
    });
    expect(row?.rv).toBeUndefined();
    const flag = {
      status: 'has_issues',
      comment: 'Sai địa chỉ',
      by: { id: 's1', name: 'Tổ trưởng' },
      at: '2026-11-30T09:00:00+00:00',
    };
    await store(db, {
      collection: 'households',
      id: H,
      rev: 2,
      fields: household(),
      meta: { ...meta(flag), open_conflicts: 1 },
    });
    const flagged = await db.records.get(['households', H]);
    expect(flagged?.rv).toBe('has_issues');
    expect(flagged?.server?.meta?.review).toEqual(flag);
    expect(flagged?.server?.meta?.open_conflicts).toBe(1);
  });

  it('eviction drops the record but never a pending change', async () => {
    const db = freshDb();
    await store(db, { collection: 'households', id: H, rev: 1, fields: household(), meta: {} });
    await saveChange(db, 'households', H, { phone: '0912345678' });
    await db.transaction('rw', db.records, db.outbox, db.bundles, () =>
      evictRecord(db, 'households', H),
    );
    expect(await db.outbox.count()).toBe(1);
    expect((await db.records.get(['households', H]))?.server).toBeNull();
  });
});

describe('household list', () => {
  const hid = (n) => `0190a000-0000-7000-8000-${String(n).padStart(12, '0')}`;
  it('lists in folded name order, limited, with the full count, and searches without diacritics', async () => {
    const { findHouseholds } = await import('../src/queries.js');
    const db = freshDb();
    const names = ['Đỗ Văn Bình', 'Nguyễn Thị Hoa', 'An Văn Cư', 'Bùi Thị Dung', 'Nguyễn Văn An'];
    for (const [i, head_name] of names.entries()) {
      await store(db, {
        collection: 'households',
        id: hid(i),
        rev: 1,
        fields: household({ head_name }),
        meta: {},
      });
    }
    const firstTwo = await findHouseholds(db, {}, 2);
    expect(firstTwo.rows.map((r) => r.fields.head_name)).toEqual(['An Văn Cư', 'Bùi Thị Dung']);
    expect(firstTwo.total).toBe(5);
    const nguyen = await findHouseholds(db, { query: 'nguyen' }, 50);
    expect(nguyen.rows.map((r) => r.fields.head_name)).toEqual(['Nguyễn Thị Hoa', 'Nguyễn Văn An']);
    expect(nguyen.total).toBe(2);
    expect((await findHouseholds(db, { query: 'do van' }, 1)).rows[0].fields.head_name).toBe(
      'Đỗ Văn Bình',
    );
  });
});
