/**
 * What each form asks for, and how form values (strings from inputs) become record fields and back.
 */
import { isoWithOffset, todayIso } from './text.js';

/**
 * @typedef {{name: string, kind: 'text'|'multiline'|'select'|'int'|'date'|'datetime'|'check'|'checks'|'location'|'lines'|'phone'|'money',
 *   label: string, options?: string, enumPrefix?: string, max?: number, required?: boolean,
 *   when?: (form: Record<string, any>) => boolean, placeholder?: string}} FieldSpec
 * `options` names a dynamic option list (quarters, groups, campaigns, units); `enumPrefix` a
 * vocabulary kind (vocabulary.js: its values, labelled `kind.value` in the catalogue); `when`
 * shows the field only while the form's values call for it; `placeholder` the catalogue key of a
 * select's empty choice.
 */

/** @type {Record<string, FieldSpec[]>} */
export const FORMS = {
  households: [
    { name: 'head_name', kind: 'text', label: 'head_name', required: true },
    { name: 'address', kind: 'text', label: 'address', required: true },
    { name: 'quarter_id', kind: 'select', label: 'quarter', options: 'quarters', required: true },
    { name: 'group_id', kind: 'select', label: 'group', options: 'groups' },
    { name: 'phone', kind: 'phone', label: 'phone' },
    { name: 'members_count', kind: 'int', label: 'members', required: true },
    { name: 'categories', kind: 'checks', label: 'categories', enumPrefix: 'category' },
    { name: 'location', kind: 'location', label: 'location' },
    { name: 'notes', kind: 'multiline', label: 'notes' },
  ],
  visits: [
    { name: 'visited_at', kind: 'datetime', label: 'visited_at', required: true },
    { name: 'purpose', kind: 'select', label: 'purpose', enumPrefix: 'purpose', required: true },
    { name: 'campaign_id', kind: 'select', label: 'campaign', options: 'campaigns' },
    { name: 'follow_up_needed', kind: 'check', label: 'follow_up_needed' },
    { name: 'location', kind: 'location', label: 'location' },
    { name: 'notes', kind: 'multiline', label: 'notes' },
  ],
  registrations: [
    {
      name: 'kind',
      kind: 'select',
      label: 'kind',
      enumPrefix: 'registration_kind',
      required: true,
    },
    {
      name: 'status',
      kind: 'select',
      label: 'status',
      enumPrefix: 'registration_status',
      required: true,
    },
    { name: 'persons', kind: 'int', label: 'persons', required: true },
    { name: 'registered_on', kind: 'date', label: 'registered_on', required: true },
    { name: 'campaign_id', kind: 'select', label: 'campaign', options: 'campaigns' },
    { name: 'notes', kind: 'multiline', label: 'notes' },
  ],
  support: [
    { name: 'kind', kind: 'select', label: 'kind', enumPrefix: 'support_kind', required: true },
    { name: 'value_vnd', kind: 'money', label: 'value_vnd', required: true },
    { name: 'sponsor', kind: 'text', label: 'sponsor' },
    { name: 'given_on', kind: 'date', label: 'given_on', required: true },
    { name: 'campaign_id', kind: 'select', label: 'campaign', options: 'campaigns' },
    { name: 'notes', kind: 'multiline', label: 'notes' },
  ],
  assessments: [
    { name: 'year', kind: 'int', label: 'year', required: true },
    {
      name: 'result',
      kind: 'select',
      label: 'result',
      enumPrefix: 'assessment_result',
      required: true,
    },
    { name: 'criteria_met', kind: 'lines', label: 'criteria_met' },
    { name: 'notes', kind: 'multiline', label: 'notes' },
  ],
  nominations: [
    {
      name: 'nominee_kind',
      kind: 'select',
      label: 'nominee_kind',
      enumPrefix: 'nominee_kind',
      required: true,
    },
    // A collective nominee may be one of the town's units, picked from the list (domain.md).
    {
      name: 'unit_id',
      kind: 'select',
      label: 'nominee_unit',
      options: 'units',
      placeholder: 'other_collective',
      when: (f) => f.nominee_kind === 'collective',
    },
    {
      name: 'nominee',
      kind: 'text',
      label: 'nominee',
      required: true,
      when: (f) => !(f.nominee_kind === 'collective' && f.unit_id),
    },
    { name: 'quarter_id', kind: 'select', label: 'quarter', options: 'quarters', required: true },
    { name: 'domain', kind: 'select', label: 'domain', enumPrefix: 'domain', required: true },
    { name: 'achievement', kind: 'multiline', label: 'achievement', required: true },
    { name: 'campaign_id', kind: 'select', label: 'campaign', options: 'campaigns' },
  ],
  deeds: [
    { name: 'unit_id', kind: 'select', label: 'unit', options: 'units', required: true },
    {
      name: 'campaign_id',
      kind: 'select',
      label: 'campaign',
      options: 'campaigns',
      required: true,
    },
    { name: 'title', kind: 'text', label: 'deed_title', required: true },
    { name: 'description', kind: 'multiline', label: 'deed_description' },
    { name: 'quarter_id', kind: 'select', label: 'deed_where', options: 'quarters' },
    { name: 'planned_on', kind: 'date', label: 'planned_on', required: true },
    {
      name: 'status',
      kind: 'select',
      label: 'deed_status',
      enumPrefix: 'deed_status',
      required: true,
    },
    { name: 'result', kind: 'multiline', label: 'deed_result' },
    { name: 'beneficiaries', kind: 'int', label: 'beneficiaries' },
    { name: 'value_vnd', kind: 'money', label: 'value_vnd' },
  ],
};

/**
 * The campaign a new record belongs to by default: the active one whose dates include today (the
 * one that started last, if several do).
 * @param {{id: string, fields: Record<string, any>}[]} campaigns
 * @param {string} today `YYYY-MM-DD`
 */
export function currentCampaign(campaigns, today) {
  const running = campaigns.filter(
    (c) =>
      c.fields.active !== false &&
      c.fields.starts_on <= today &&
      today <= (c.fields.ends_on ?? c.fields.starts_on),
  );
  running.sort((a, b) => (a.fields.starts_on < b.fields.starts_on ? 1 : -1));
  return running[0] ?? null;
}

/**
 * Default fields of a new record. Choices the worker must make (a purpose, a kind, a status, a
 * result) start empty: the form never answers for them.
 * @param {string} collection
 * @param {{now?: Date, quarterId?: string|null, campaignId?: string|null, unitId?: string|null}} ctx
 */
export function defaults(collection, ctx = {}) {
  const now = ctx.now ?? new Date();
  const campaign_id = ctx.campaignId ?? null;
  switch (collection) {
    case 'households':
      return {
        quarter_id: ctx.quarterId ?? '',
        group_id: null,
        address: '',
        head_name: '',
        phone: null,
        members_count: 1,
        categories: [],
        location: null,
        notes: '',
      };
    case 'visits':
      return {
        visited_at: isoWithOffset(now),
        purpose: '',
        campaign_id,
        follow_up_needed: false,
        location: null,
        notes: '',
      };
    case 'registrations':
      return {
        kind: '',
        status: '',
        persons: 0,
        registered_on: todayIso(),
        campaign_id,
        notes: '',
      };
    case 'support':
      return {
        kind: '',
        value_vnd: null,
        sponsor: '',
        given_on: todayIso(),
        campaign_id,
        notes: '',
      };
    case 'assessments':
      return { year: now.getFullYear(), criteria_met: [], result: '', notes: '' };
    case 'nominations':
      return {
        quarter_id: ctx.quarterId ?? '',
        nominee: '',
        nominee_kind: '',
        unit_id: null,
        domain: '',
        achievement: '',
        campaign_id,
      };
    case 'deeds':
      return {
        unit_id: ctx.unitId ?? '',
        campaign_id: campaign_id ?? '',
        title: '',
        description: '',
        quarter_id: null,
        planned_on: todayIso(),
        status: '',
        result: '',
        beneficiaries: 0,
        value_vnd: 0,
      };
    default:
      return {};
  }
}

/**
 * The fields a form saves, once what it shows decides what they mean: a nomination of a unit
 * names the unit (its name is the nominee), and only a collective nominee can be a unit.
 * @param {string} collection
 * @param {Record<string, any>} fields from `fromForm`
 * @param {{id: string, fields: Record<string, any>}[]} units
 */
export function settle(collection, fields, units) {
  if (collection !== 'nominations') return fields;
  if (fields.nominee_kind !== 'collective') return { ...fields, unit_id: null };
  const unit = units.find((u) => u.id === fields.unit_id);
  return unit ? { ...fields, nominee: unit.fields.name } : fields;
}

/**
 * Record fields → form strings.
 * @param {FieldSpec[]} specs
 * @param {Record<string, any>} fields
 */
export function toForm(specs, fields) {
  /** @type {Record<string, any>} */
  const form = {};
  for (const s of specs) {
    const v = fields[s.name];
    if (s.kind === 'int' || s.kind === 'money') form[s.name] = v == null ? '' : String(v);
    else if (s.kind === 'datetime') form[s.name] = v ? toLocalInput(v) : '';
    else if (s.kind === 'lines') form[s.name] = (v || []).join('\n');
    else if (s.kind === 'check') form[s.name] = !!v;
    else if (s.kind === 'checks') form[s.name] = v || [];
    else if (s.kind === 'location') form[s.name] = v ?? null;
    else form[s.name] = v ?? '';
  }
  return form;
}

/**
 * Form strings → record fields (typed; empty optional values become null).
 * @param {FieldSpec[]} specs
 * @param {Record<string, any>} form
 */
export function fromForm(specs, form) {
  /** @type {Record<string, any>} */
  const fields = {};
  for (const s of specs) {
    const v = form[s.name];
    if (s.kind === 'int' || s.kind === 'money') {
      const clean = String(v ?? '').replace(/[.\s₫]/g, '');
      fields[s.name] = /^-?\d+$/.test(clean) ? Number(clean) : clean === '' ? null : NaN;
    } else if (s.kind === 'datetime') {
      const d = v ? new Date(v) : null;
      fields[s.name] = d && !Number.isNaN(d.getTime()) ? isoWithOffset(d) : '';
    } else if (s.kind === 'lines') {
      fields[s.name] = String(v ?? '')
        .split('\n')
        .map((x) => x.trim())
        .filter(Boolean);
    } else if (s.kind === 'phone') {
      const p = String(v ?? '').replace(/[\s.-]/g, '');
      fields[s.name] = p === '' ? null : p;
    } else if (s.kind === 'select' && s.options) {
      fields[s.name] = v === '' ? (s.required ? '' : null) : v;
    } else if (s.kind === 'text' || s.kind === 'multiline') {
      fields[s.name] = String(v ?? '').trim();
    } else {
      fields[s.name] = v;
    }
  }
  return fields;
}

/**
 * ISO datetime → the value of an <input type="datetime-local"> in local time.
 * @param {string} iso
 */
export function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return isoWithOffset(d).slice(0, 16);
}
