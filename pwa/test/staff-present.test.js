import { beforeEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n.js';
import { filtersFromSearch, recordQuery } from '../src/ui/staff/filters.js';
import {
  auditDetails,
  coverageShare,
  coverageText,
  dayLabel,
  displayValue,
  dueText,
  fieldLabel,
  fieldSpec,
  formatBytes,
  formatPercent,
  millions,
  parseTyped,
  progressTable,
  recordTitle,
  resolveBody,
  reviewBody,
  unitsByWork,
  wrapLabel,
} from '../src/ui/staff/present.js';

beforeEach(() => setLanguage('vi'));

describe('values as a reader sees them', () => {
  const lookups = { quarters: new Map([['q1', 'Khu phố 1']]), households: new Map() };
  it.each([
    ['support', 'value_vnd', 1500000, '1.500.000 ₫'],
    ['support', 'kind', 'scholarship', 'Học bổng (khuyến học)'],
    ['registrations', 'registered_on', '2024-10-12', '12/10/2024'],
    ['registrations', 'status', 'already_enrolled', 'Đã tham gia trước'],
    ['households', 'categories', ['poor', 'meritorious'], 'Hộ nghèo, Người có công'],
    ['households', 'quarter_id', 'q1', 'Khu phố 1'],
    ['households', 'phone', null, '—'],
    ['visits', 'follow_up_needed', true, 'Có'],
    ['visits', 'purpose', 'follow_up', 'Theo dõi tiếp'],
    ['groups', 'model_status', 'achieved', 'Đạt kiểu mẫu'],
    ['assessments', 'criteria_met', ['a', 'b'], 'a; b'],
    ['households', 'review.status', 'has_issues', 'Cần sửa'],
  ])('%s.%s = %o → %s', (collection, name, value, shown) =>
    expect(displayValue(fieldSpec(collection, name), value, lookups)).toBe(shown),
  );

  it('shows datetimes as dd/mm/yyyy hh:mm in local time', () => {
    expect(displayValue(fieldSpec('visits', 'visited_at'), '2024-10-12T08:30:00+07:00')).toMatch(
      /^1[12]\/10\/2024 \d\d:30$/,
    );
  });

  it('labels fields in Vietnamese, then English', () => {
    expect(fieldLabel('households', 'head_name')).toBe('Chủ hộ');
    expect(fieldLabel('assessments', 'criteria_met')).toBe('Tiêu chí đạt');
    setLanguage('en');
    expect(fieldLabel('households', 'members_count')).toBe('Members');
    expect(
      recordTitle({
        collection: 'support',
        fields: { kind: 'cash', value_vnd: 500000, given_on: '2024-10-13' },
      }),
    ).toBe('Cash · 500.000 ₫ · 13/10/2024');
  });
});

describe('review', () => {
  it.each([
    ['approved', '', { status: 'approved', comment: null }],
    ['has_issues', ' Sai địa chỉ ', { status: 'has_issues', comment: 'Sai địa chỉ' }],
  ])('%s with %o is sent', (status, comment, body) =>
    expect(reviewBody(status, comment)).toEqual({ ok: true, body }),
  );
  it.each(['has_issues', 'rejected'])('%s needs a comment', (status) =>
    expect(reviewBody(status, '  ')).toEqual({ ok: false, problem: 'staff_comment_required' }),
  );
});

describe('conflict resolution', () => {
  const conflict = {
    collection: 'households',
    kind: 'fields',
    fields: {
      phone: { base: '0900000001', server: '0911111111', client: '0922222222' },
      members_count: { base: 3, server: 4, client: 5 },
    },
  };

  it('takes the device for one field and a typed value for another', () => {
    const made = resolveBody(conflict, {
      fields: { phone: { pick: 'client' }, members_count: { pick: 'value', text: ' 6 ' } },
    });
    expect(made).toEqual({
      ok: true,
      body: { choices: { phone: 'client', members_count: { value: 6 } } },
    });
  });

  it('names the fields still to choose and the typed values that are not valid', () => {
    const made = resolveBody(conflict, {
      fields: { members_count: { pick: 'value', text: 'sáu' } },
    });
    expect(made).toEqual({
      ok: false,
      missing: ['phone'],
      invalid: ['members_count'],
      deletedMissing: false,
    });
  });

  it('needs to know whether a delete-vs-edit record stays; its fields are optional if deleted', () => {
    const del = { ...conflict, kind: 'delete_vs_edit' };
    expect(resolveBody(del, { fields: {} })).toMatchObject({ ok: false, deletedMissing: true });
    expect(resolveBody(del, { fields: {}, deleted: true })).toEqual({
      ok: true,
      body: { choices: {}, deleted: true },
    });
    expect(resolveBody(del, { fields: {}, deleted: false })).toMatchObject({
      ok: false,
      missing: ['phone', 'members_count'],
    });
  });

  it.each([
    ['households', 'members_count', '1.500', 1500],
    ['support', 'value_vnd', '1.500.000 ₫', 1500000],
    ['households', 'phone', '091 234 5678', '0912345678'],
    ['households', 'phone', '', null],
    ['visits', 'follow_up_needed', 'true', true],
    ['households', 'head_name', '  Nguyễn Văn A ', 'Nguyễn Văn A'],
  ])('typed %s.%s %o reads as %o', (collection, name, text, value) =>
    expect(parseTyped(fieldSpec(collection, name), text)).toEqual({ ok: true, value }),
  );
});

describe('progress and the queue', () => {
  it('adds up counts per neighbourhood and in total', () => {
    const table = progressTable(
      [
        { id: 'a', name: 'Khu phố 1' },
        { id: 'b', name: 'Khu phố 2' },
      ],
      [
        { quarter: 'a', status: 'pending', n: 3 },
        { quarter: 'a', status: 'approved', n: 2 },
        { quarter: 'b', status: 'pending', n: 1 },
        { quarter: 'b', status: 'has_issues', n: 4 },
      ],
    );
    expect(table.rows.map((r) => [r.name, r.total, r.counts.pending])).toEqual([
      ['Khu phố 1', 5, 3],
      ['Khu phố 2', 5, 1],
    ]);
    expect(table.sum).toEqual({ counts: { pending: 4, approved: 2, has_issues: 4 }, total: 10 });
  });

  it('keeps the queue filters in the address so Back returns to the same list', () => {
    expect(filtersFromSearch('?collection=visits&review=edited&q=le+loi&page=2')).toEqual({
      filters: { collection: 'visits', review: 'edited', q: 'le loi' },
      page: 2,
    });
    expect(filtersFromSearch('?collection=nonsense').filters.collection).toBe('households');
  });

  it('opens on Pending; review=all asks the server for every status', () => {
    expect(filtersFromSearch('').filters).toEqual({ collection: 'households', review: 'pending' });
    const all = filtersFromSearch('?review=all').filters;
    expect(all.review).toBe('all');
    expect(recordQuery(all)).toEqual({ collection: 'households', review: undefined });
    expect(recordQuery({ collection: 'visits', review: 'edited' }).review).toBe('edited');
  });

  it.each([
    [512, '512 B'],
    [1536, '1,5 KB'],
    [5 * 1024 * 1024, '5,0 MB'],
  ])('%i bytes is %s', (n, s) => expect(formatBytes(n)).toBe(s));
});

describe('dashboard', () => {
  it.each([
    [5, 'còn 5 ngày'],
    [0, 'hạn là hôm nay'],
    [-3, 'quá hạn 3 ngày'],
    [null, ''],
  ])('%o days left reads %s', (n, s) => expect(dueText(n)).toBe(s));

  it.each([
    ['vi', 66.7, '66,7%'],
    ['en', 66.7, '66.7%'],
    ['vi', 100, '100%'],
    ['vi', null, '—'],
  ])('a share in %s: %s is %s', (lang, percent, text) => {
    setLanguage(lang);
    expect(formatPercent(percent)).toBe(text);
  });

  it('writes coverage as visited/register and the share, rounded as the report files do', () => {
    expect(coverageShare({ visited: 2, households: 3 })).toBe(66.7);
    expect(coverageShare({ visited: 0, households: 0 })).toBe(null);
    expect(coverageText({ visited: 2, households: 3 })).toBe('2/3 · 66,7%');
    expect(coverageText({ visited: 0, households: 0 })).toBe('0/0 · —');
  });

  it('names a day on a chart axis', () => expect(dayLabel('2024-10-12')).toBe('12/10'));

  it.each([
    ['Khu phố 1', 'Khu phố 1'],
    ['Đoàn Thanh niên thị trấn', 'Đoàn Thanh\nniên thị trấn'],
    ['Hội Liên hiệp Phụ nữ thị trấn', 'Hội Liên hiệp\nPhụ nữ thị trấn'],
    [
      'Ủy ban MTTQ Việt Nam thị trấn Gia Ray tỉnh Đồng Nai',
      'Ủy ban MTTQ Việt\nNam thị trấn Gia\nRay tỉnh Đồng Nai',
    ],
    ['Trường-Tiểu-học-Gia-Ray-một-từ-dài', 'Trường-Tiểu-học-Gia-Ray-một-từ-dài'],
  ])('wraps the axis label %j into even lines of at most 22 characters', (label, lines) => {
    expect(wrapLabel(label, 22)).toBe(lines);
  });

  it('writes an axis of đồng in millions', () => {
    setLanguage('vi');
    expect(millions(2_500_000)).toBe('2,5');
    setLanguage('en');
    expect(millions(25_000_000)).toBe('25');
  });

  it('draws the units with work and names the others', () => {
    const unit = (id, visits, insured, support) => ({
      id,
      visits: { households: visits, visits },
      health_insurance: { households: insured, persons: 2 * insured },
      support: { count: support, value_vnd: 1000 * support },
    });
    const units = [unit('a', 0, 0, 0), unit('b', 2, 0, 0), unit('c', 0, 1, 0), unit('d', 0, 0, 3)];
    const { worked, idle } = unitsByWork(units);
    expect(worked.map((u) => u.id)).toEqual(['b', 'c', 'd']);
    expect(idle.map((u) => u.id)).toEqual(['a']);
  });
});

describe('the audit log in words', () => {
  const lookups = {
    quarters: new Map([['q1', 'Khu phố 1']]),
    units: new Map([['u1', 'Chi đoàn khu phố 1']]),
  };
  it.each([
    [
      { count: 12, total: 40, q: 'hoa', quarter: 'q1', review: 'pending', offset: 0 },
      'Số bản ghi hiển thị: 12 · Tổng số: 40 · Tìm: hoa · Khu phố: Khu phố 1 · Tình trạng duyệt: Chờ duyệt · Từ dòng: 0',
    ],
    [
      { filters: { date_from: '2024-10-12', date_to: null, quarters: ['q1', 'q9'], review: null } },
      'Từ ngày: 12/10/2024 · Khu phố: Khu phố 1, q9',
    ],
    [{ records: 250 }, 'Số bản ghi: 250'],
    [
      { role: 'supervisor', quarters: ['q1'], unit_id: 'u1', active: true },
      'Vai trò: giám sát · Khu phố: Khu phố 1 · Đơn vị: Chi đoàn khu phố 1 · Tài khoản: Đang hoạt động',
    ],
    [{ unit_id: null, active: false }, 'Đơn vị: — · Tài khoản: Đã khoá'],
    [{ signed_out: 2 }, 'Số phiên bị đăng xuất: 2'],
    [{ thumbs: ['p1', 'p2', 'p3'] }, 'Số ảnh thu nhỏ đã xem: 3'],
    [{}, ''],
  ])('%o reads "%s"', (details, words) => {
    expect(auditDetails(details, lookups)).toBe(words);
  });
});
