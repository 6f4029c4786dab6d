import 'fake-indexeddb/auto';
import { openDb } from '../src/db.js';

let n = 0;
/** A fresh, empty database for one test. */
export function freshDb() {
  n += 1;
  return openDb(`test-${Date.now()}-${n}-${Math.random()}`);
}

export const Q1 = '00000000-0000-4000-8000-000000000001';
export const Q2 = '00000000-0000-4000-8000-000000000002';

/** Household fields as the form would send them. */
export function household(extra = {}) {
  return {
    quarter_id: Q1,
    group_id: null,
    address: '12 Hùng Vương',
    head_name: 'Nguyễn Văn An',
    phone: null,
    members_count: 4,
    categories: [],
    location: null,
    notes: '',
    ...extra,
  };
}
