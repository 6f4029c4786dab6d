import { describe, expect, it } from 'vitest';
import { deedsByUnit, mayWriteDeed } from '../src/deeds.js';
import { FORMS, defaults, fromForm, settle, toForm } from '../src/forms.js';
import { validate } from '../src/validate.js';

const unit = (id, name, active = true) => ({ id, fields: { name, kind: 'other', active } });
const deed = (id, unitId, campaignId, plannedOn, extra = {}) => ({
  id,
  fields: { unit_id: unitId, campaign_id: campaignId, planned_on: plannedOn, ...extra },
});

describe('who writes a deed', () => {
  it.each([
    [{ role: 'admin' }, 'u1', true],
    [{ role: 'supervisor', unit_id: 'u1' }, 'u1', true],
    [{ role: 'supervisor', unit_id: 'u1' }, 'u2', false],
    [{ role: 'supervisor', unit_id: null }, 'u1', false],
    [{ role: 'supervisor' }, undefined, false],
    [{ role: 'field', unit_id: 'u1' }, 'u1', false],
  ])('%o for unit %s: %s', (user, unitId, allowed) =>
    expect(mayWriteDeed(user, unitId)).toBe(allowed),
  );
});

describe('deeds by unit', () => {
  const units = [
    unit('u1', 'Đoàn Thanh niên thị trấn'),
    unit('u2', 'Hội Cựu chiến binh thị trấn'),
    unit('u3', 'Ban Chỉ huy Quân sự thị trấn'),
    unit('u4', 'Hội Nông dân thị trấn', false),
    unit('u5', 'Trạm Y tế thị trấn', false),
  ];
  const deeds = [
    deed('d1', 'u2', 'c1', '2024-10-15'),
    deed('d2', 'u2', 'c1', '2024-10-12'),
    deed('d3', 'u1', 'c2', '2024-11-02'),
    deed('d4', 'u5', 'c1', '2024-10-20'),
    { ...deed('d5', 'u3', 'c1', '2024-10-13'), localDelete: true },
  ];

  it("lists the campaign's deeds under each unit, own unit first, by date", () => {
    const groups = deedsByUnit(units, deeds, 'c1', 'u2');
    expect(groups.map((g) => [g.unit.id, g.own, g.deeds.map((d) => d.id)])).toEqual([
      ['u2', true, ['d2', 'd1']],
      ['u3', false, []],
      ['u1', false, []],
      ['u5', false, ['d4']],
    ]);
  });

  it('keeps a closed unit only while it has a deed in the campaign', () => {
    const ids = deedsByUnit(units, deeds, 'c2', null).map((g) => g.unit.id);
    expect(ids).toEqual(['u3', 'u1', 'u2']);
  });
});

describe('the deed form', () => {
  const specs = FORMS.deeds;
  it("starts as the user's unit and campaign, and asks for a title and the progress", () => {
    const start = defaults('deeds', { unitId: 'u1', campaignId: 'c1' });
    const fields = fromForm(specs, toForm(specs, start));
    expect(fields).toMatchObject({
      unit_id: 'u1',
      campaign_id: 'c1',
      quarter_id: null,
      beneficiaries: 0,
      value_vnd: 0,
    });
    expect(Object.keys(validate('deeds', fields))).toEqual(['title', 'status']);
  });

  it.each([
    [{ unit_id: '' }, ['unit_id']],
    [{ campaign_id: '' }, ['campaign_id']],
    [{ status: 'cancelled' }, ['status']],
    [{ beneficiaries: 100001 }, ['beneficiaries']],
    [{ value_vnd: -1 }, ['value_vnd']],
    [{ planned_on: '' }, ['planned_on']],
    [{ result: 'x'.repeat(4001) }, ['result']],
  ])('%o is refused on %o', (change, fields) => {
    const ok = {
      ...defaults('deeds', { unitId: 'u1', campaignId: 'c1' }),
      title: 'Trao quà',
      status: 'planned',
    };
    expect(Object.keys(validate('deeds', { ...ok, ...change }))).toEqual(fields);
  });
});

describe('a unit as a nominee', () => {
  const units = [unit('u1', 'Hội Liên hiệp Phụ nữ thị trấn')];
  const base = {
    quarter_id: 'q',
    nominee: '',
    domain: 'economy',
    achievement: 'Vận động 30 hộ tham gia bảo hiểm y tế.',
  };

  it('names the unit picked for a collective', () => {
    const fields = settle(
      'nominations',
      { ...base, nominee_kind: 'collective', unit_id: 'u1' },
      units,
    );
    expect(fields.nominee).toBe('Hội Liên hiệp Phụ nữ thị trấn');
    expect(validate('nominations', fields)).toEqual({});
  });

  it('keeps free text for another collective, and no unit for an individual', () => {
    const free = { ...base, nominee: 'Tổ 3 khu phố 2', nominee_kind: 'collective', unit_id: null };
    expect(settle('nominations', free, units)).toEqual(free);
    const person = settle(
      'nominations',
      { ...base, nominee: 'Nguyễn Văn An', nominee_kind: 'individual', unit_id: 'u1' },
      units,
    );
    expect(person.unit_id).toBeNull();
    expect(person.nominee).toBe('Nguyễn Văn An');
  });

  it('shows the unit picker for a collective and hides the name once a unit is picked', () => {
    const shown = (form) =>
      FORMS.nominations.filter((s) => !s.when || s.when(form)).map((s) => s.name);
    expect(shown({ nominee_kind: 'individual' })).not.toContain('unit_id');
    expect(shown({ nominee_kind: 'collective', unit_id: '' })).toEqual(
      expect.arrayContaining(['unit_id', 'nominee']),
    );
    expect(shown({ nominee_kind: 'collective', unit_id: 'u1' })).not.toContain('nominee');
  });

  it('refuses a unit for an individual', () => {
    const fields = { ...base, nominee: 'A', nominee_kind: 'individual', unit_id: 'u1' };
    expect(Object.keys(validate('nominations', fields))).toEqual(['unit_id']);
  });
});
