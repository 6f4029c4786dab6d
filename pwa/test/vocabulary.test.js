import { afterEach, describe, expect, it } from 'vitest';
import vocabulary from '../../server/vocabulary.json';
import { FORMS } from '../src/forms.js';
import { catalogues, setLanguage, t } from '../src/i18n.js';
import { enumOptions } from '../src/ui/fields.jsx';
import { displayValue, fieldSpec, fieldSpecs, recordTitle } from '../src/ui/staff/present.js';
import { validate } from '../src/validate.js';
import { values } from '../src/vocabulary.js';

/** @type {Record<string, Record<string, {vi: string, en: string}>>} */
const WORDS = vocabulary;
const KINDS = Object.keys(WORDS);
const LANGS = /** @type {const} */ (['vi', 'en']);

afterEach(() => setLanguage('vi'));

describe('the vocabulary shared with the server (server/vocabulary.json)', () => {
  it.each(KINDS)(
    '%s: every value has a Vietnamese and an English label in the catalogue',
    (kind) => {
      expect(values(/** @type {any} */ (kind))).toEqual(Object.keys(WORDS[kind]));
      for (const lang of LANGS) {
        setLanguage(lang);
        for (const [value, labels] of Object.entries(WORDS[kind])) {
          expect(labels[lang].trim()).not.toBe('');
          expect(t(`${kind}.${value}`)).toBe(labels[lang]);
        }
      }
    },
  );

  it('is the only place enum labels are written: no other catalogue key names an enum value', () => {
    for (const lang of LANGS) {
      for (const key of Object.keys(catalogues[lang])) {
        const [kind, value] = key.split('.');
        if (value !== undefined && kind in WORDS) expect(Object.keys(WORDS[kind])).toContain(value);
        // The app's own names for these lists before they were shared.
        expect(key).not.toMatch(/^(reg_kind|reg_status|result|staff_audit)\.|^role_/);
      }
    }
  });
});

/** Every field that offers a choice of enum values: the field app's forms and the console's. */
const ENUM_FIELDS = [
  ...Object.entries(FORMS),
  ...['quarters', 'groups', 'campaigns', 'units'].map((c) => [c, fieldSpecs(c)]),
].flatMap(([collection, specs]) =>
  /** @type {import('../src/forms.js').FieldSpec[]} */ (specs)
    .filter((s) => s.enumPrefix)
    .map((s) => [`${collection}.${s.name}`, /** @type {string} */ (s.enumPrefix)]),
);

describe('the forms offer the vocabulary', () => {
  it('has enum fields to check', () => expect(ENUM_FIELDS.length).toBeGreaterThanOrEqual(11));

  it.each(ENUM_FIELDS)('%s offers the values of %s, labelled in both languages', (_, kind) => {
    expect(kind in WORDS).toBe(true);
    for (const lang of LANGS) {
      setLanguage(lang);
      expect(enumOptions(kind)).toEqual(
        Object.entries(WORDS[kind]).map(([value, labels]) => ({ value, label: labels[lang] })),
      );
    }
  });

  it("uses the report's words: Quà tặng, Theo dõi tiếp, Đã tham gia trước", () => {
    const label = (/** @type {string} */ kind, /** @type {string} */ value) =>
      enumOptions(kind).find((o) => o.value === value)?.label;
    expect(label('support_kind', 'gift')).toBe('Quà tặng');
    expect(label('purpose', 'follow_up')).toBe('Theo dõi tiếp');
    expect(label('registration_status', 'already_enrolled')).toBe('Đã tham gia trước');
    setLanguage('en');
    expect(label('support_kind', 'gift')).toBe('Gift');
  });

  it.each([
    ['visits', 'purpose', 'purpose'],
    ['registrations', 'kind', 'registration_kind'],
    ['registrations', 'status', 'registration_status'],
    ['support', 'kind', 'support_kind'],
    ['assessments', 'result', 'assessment_result'],
    ['nominations', 'domain', 'domain'],
    ['deeds', 'status', 'deed_status'],
  ])('validation of %s.%s accepts every %s value and nothing else', (collection, name, kind) => {
    for (const value of Object.keys(WORDS[kind]))
      expect(validate(collection, { [name]: value })[name]).toBeUndefined();
    expect(validate(collection, { [name]: 'not_a_value' })[name]?.key).toBe('err_choose');
  });
});

describe('the staff console shows the same words', () => {
  it('reads values and record titles from the vocabulary', () => {
    expect(displayValue(fieldSpec('support', 'kind'), 'gift')).toBe('Quà tặng');
    expect(displayValue(fieldSpec('households', 'categories'), ['poor', 'hardship'])).toBe(
      'Hộ nghèo, Hoàn cảnh khó khăn',
    );
    expect(
      recordTitle({
        collection: 'visits',
        fields: { purpose: 'follow_up', visited_at: '2024-10-14T09:00:00+07:00' },
      }),
    ).toMatch(/^Theo dõi tiếp · /);
  });
});
