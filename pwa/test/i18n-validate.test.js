import { describe, expect, it } from 'vitest';
import { catalogues, pickLanguage, setLanguage, t } from '../src/i18n.js';
import { fold, formatDate, formatMoney, matchesQuery, uuidv7 } from '../src/text.js';
import { validate } from '../src/validate.js';

describe('language', () => {
  it.each([
    [{ device: ['en-US'] }, 'en'],
    [{ device: ['en'] }, 'en'],
    [{ device: ['vi-VN'] }, 'vi'],
    [{ device: ['fr-FR'] }, 'vi'],
    [{ device: null }, 'vi'],
    [{ device: ['en-GB'], saved: 'vi' }, 'vi'],
    [{ device: ['vi-VN'], saved: 'vi', query: 'en' }, 'en'],
  ])('%o starts in %s', (sources, lang) => expect(pickLanguage(sources)).toBe(lang));

  it('has the exact English test hooks and Vietnamese first', () => {
    setLanguage('en');
    expect(t('waiting', { n: 3 })).toBe('3 waiting');
    expect(t('add_household')).toBe('Add household');
    setLanguage('vi');
    expect(t('waiting', { n: 3 })).toBe('3 đang chờ');
  });
});

describe('the words for two devices editing one record and for duplicates', () => {
  // Two edits of one record that the server could not merge are a sync conflict, "xung đột" (the
  // audit log's word); "trùng" is kept for duplicates (a household that may already exist, a
  // reused operation id), so that a supervisor never confuses the two.
  const CONFLICT_KEYS = [
    'waiting_admin',
    'conflicts_title',
    'conflicts_count',
    'staff_nav_conflicts',
    'staff_has_conflict',
    'staff_kind.resolve',
    'staff_conflicts_title',
  ];
  const { vi, en } = /** @type {Record<'vi'|'en', Record<string, string>>} */ (catalogues);

  it.each(CONFLICT_KEYS)('%s says "xung đột"', (key) => {
    expect(vi[key].toLowerCase()).toContain('xung đột');
    expect(vi[key].toLowerCase()).not.toContain('trùng');
  });

  it('says "trùng" only for duplicates, and "xung đột" wherever English says conflict', () => {
    expect(vi.duplicate_warning).toMatch(/^Có thể trùng/);
    for (const [key, text] of Object.entries(vi)) {
      if (/trùng/i.test(text)) expect(en[key], key).toMatch(/duplicate|reused|twice/i);
      if (/\bconflicts?\b/i.test(en[key] ?? ''))
        expect(text.toLowerCase(), key).toContain('xung đột');
    }
  });
});

describe('text', () => {
  it.each([
    ['nguyen van a', 'Nguyễn Văn A', true],
    ['d', 'Đỗ', true],
    ['duc hung vuong', 'Trần Đức – 12 Hùng Vương', true],
    ['le loi', 'Nguyễn Văn A', false],
  ])('search %s in %s → %s', (q, text, hit) => expect(matchesQuery(fold(text), q)).toBe(hit));

  it('formats dates and money the Vietnamese way', () => {
    expect(formatDate('2024-10-12')).toBe('12/10/2024');
    expect(formatMoney(1500000)).toBe('1.500.000 ₫');
    expect(formatMoney(0)).toBe('0 ₫');
  });

  it('makes distinct v7 UUIDs', () => {
    const a = uuidv7();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidv7()).not.toBe(a);
  });
});

describe('validation mirrors domain.md', () => {
  const hh = {
    quarter_id: 'q',
    address: '1 A',
    head_name: 'B',
    phone: null,
    members_count: 1,
    notes: '',
  };
  it.each([
    [{}, []],
    [{ phone: '0912345678' }, []],
    [{ phone: '+84912345678' }, []],
    [{ phone: '912345678' }, ['phone']],
    [{ phone: '09123456789' }, ['phone']],
    [{ members_count: 0 }, ['members_count']],
    [{ members_count: 51 }, ['members_count']],
    [{ head_name: '  ' }, ['head_name']],
    [{ address: 'x'.repeat(201) }, ['address']],
    [{ quarter_id: '' }, ['quarter_id']],
  ])('household %o → errors on %o', (change, fields) => {
    expect(Object.keys(validate('households', { ...hh, ...change }))).toEqual(fields);
  });

  it('a health-insurance registration needs a person', () => {
    const reg = {
      kind: 'health_insurance',
      status: 'registered',
      persons: 0,
      registered_on: '2024-10-12',
    };
    expect(validate('registrations', reg).persons?.key).toBe('err_hi_persons');
    expect(validate('registrations', { ...reg, status: 'considering' })).toEqual({});
  });

  it('a visit cannot be more than a day ahead', () => {
    const now = new Date('2024-10-12T08:00:00+07:00');
    const v = { purpose: 'outreach', visited_at: '2024-10-13T09:00:00+07:00' };
    expect(validate('visits', v, now).visited_at?.key).toBe('err_future');
    expect(validate('visits', { ...v, visited_at: '2024-10-13T07:00:00+07:00' }, now)).toEqual({});
  });
});
