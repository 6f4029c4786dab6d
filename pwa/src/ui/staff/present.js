/**
 * How the supervisor and admin views show records and build their requests: pure functions, so
 * they are tested without a browser (test/staff-present.test.js).
 */
import { CHILD_COLLECTIONS } from '../../collections.js';
import { FORMS } from '../../forms.js';
import { language, t } from '../../i18n.js';
import { formatDate, formatDateTime, formatMoney } from '../../text.js';

/**
 * @typedef {{quarters?: Map<string, string>, groups?: Map<string, string>,
 *   campaigns?: Map<string, string>, units?: Map<string, string>,
 *   households?: Map<string, string>}} Lookups
 * Names by id, for reference fields.
 */

const REFERENCE_SPECS = {
  quarters: [
    { name: 'code', kind: 'text', label: 'ref_code' },
    { name: 'name', kind: 'text', label: 'ref_name' },
  ],
  groups: [
    { name: 'name', kind: 'text', label: 'ref_name' },
    { name: 'quarter_id', kind: 'select', label: 'quarter', options: 'quarters' },
    { name: 'model_status', kind: 'select', label: 'model_status', enumPrefix: 'model_status' },
  ],
  campaigns: [
    { name: 'name', kind: 'text', label: 'ref_name' },
    { name: 'starts_on', kind: 'date', label: 'starts_on' },
    { name: 'ends_on', kind: 'date', label: 'ends_on' },
    { name: 'launch_on', kind: 'date', label: 'launch_on' },
    { name: 'report_due_on', kind: 'date', label: 'report_due_on' },
    { name: 'active', kind: 'check', label: 'active' },
  ],
  units: [
    { name: 'name', kind: 'text', label: 'ref_name' },
    { name: 'kind', kind: 'select', label: 'unit_kind', enumPrefix: 'unit_kind' },
    { name: 'active', kind: 'check', label: 'unit_active' },
  ],
};

/** @type {import('../../forms.js').FieldSpec} */
const HOUSEHOLD_REF = {
  name: 'household_id',
  kind: 'select',
  label: 'household',
  options: 'households',
};

/**
 * The fields of a collection in reading order, with how to show each.
 * @param {string} collection
 * @returns {import('../../forms.js').FieldSpec[]}
 */
export function fieldSpecs(collection) {
  const ref = /** @type {Record<string, any[]>} */ (REFERENCE_SPECS)[collection];
  if (ref) return ref;
  const form = FORMS[collection] ?? [];
  return CHILD_COLLECTIONS.includes(collection) ? [HOUSEHOLD_REF, ...form] : form;
}

/**
 * One field's spec, or a plain text spec for a field the forms do not know.
 * @param {string} collection
 * @param {string} name
 */
export function fieldSpec(collection, name) {
  // A review revision lists its changes as `review.status` and `review.comment` (§6 history).
  if (name === 'review.status')
    return {
      name,
      kind: /** @type {const} */ ('select'),
      label: 'staff_review_field',
      enumPrefix: 'review',
    };
  if (name === 'review.comment')
    return { name, kind: /** @type {const} */ ('text'), label: 'review_comment' };
  return (
    fieldSpecs(collection).find((s) => s.name === name) ?? {
      name,
      kind: /** @type {const} */ ('text'),
      label: name,
    }
  );
}

/**
 * Field names in the order the forms show them (unknown ones last, as given).
 * @param {string} collection
 * @param {string[]} names
 */
export function inFormOrder(collection, names) {
  const order = fieldSpecs(collection).map((s) => s.name);
  const rank = (/** @type {string} */ n) => (order.includes(n) ? order.indexOf(n) : order.length);
  return [...names].sort((a, b) => rank(a) - rank(b));
}

/**
 * A field's label; the form labels say "(one per line)" etc., which a reader does not need.
 * @param {string} collection
 * @param {string} name
 */
export function fieldLabel(collection, name) {
  const spec = fieldSpec(collection, name);
  return t(spec.label).replace(/\s*\(.*\)$/, '');
}

/**
 * A value as a reader sees it: enum values as words, dates dd/mm/yyyy, money `1.500.000 ₫`,
 * references by name.
 * @param {import('../../forms.js').FieldSpec} spec
 * @param {any} value
 * @param {Lookups} [lookups]
 * @returns {string}
 */
export function displayValue(spec, value, lookups = {}) {
  if (value === null || value === undefined || value === '') return t('staff_empty');
  if (spec.enumPrefix) {
    if (Array.isArray(value)) return value.map((v) => t(`${spec.enumPrefix}.${v}`)).join(', ');
    return t(`${spec.enumPrefix}.${value}`);
  }
  if (spec.options) {
    const names = /** @type {Map<string, string>|undefined} */ (
      /** @type {any} */ (lookups)[spec.options]
    );
    return names?.get(value) ?? String(value);
  }
  switch (spec.kind) {
    case 'date':
      return formatDate(value);
    case 'datetime':
      return formatDateTime(value);
    case 'money':
      return formatMoney(value);
    case 'check':
      return value ? t('staff_yes') : t('staff_no');
    case 'checks':
      return (value || []).map((v) => t(`category.${v}`)).join(', ') || t('staff_empty');
    case 'lines':
      return Array.isArray(value) ? value.join('; ') || t('staff_empty') : String(value);
    case 'location':
      return typeof value === 'object'
        ? `${Number(value.lat).toFixed(5)}, ${Number(value.lon).toFixed(5)}`
        : String(value);
    case 'int':
      return String(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/**
 * The line that names a record in a list: the household's head and address, or what a child
 * record is and when.
 * @param {{collection: string, fields: Record<string, any>}} record
 * @param {Lookups} [lookups]
 */
export function recordTitle(record, lookups = {}) {
  const f = record.fields || {};
  switch (record.collection) {
    case 'households':
      return `${f.head_name} – ${f.address}`;
    case 'visits':
      return `${t(`purpose.${f.purpose}`)} · ${formatDateTime(f.visited_at)}`;
    case 'registrations':
      return `${t(`registration_kind.${f.kind}`)} · ${t(`registration_status.${f.status}`)} · ${formatDate(f.registered_on)}`;
    case 'support':
      return `${t(`support_kind.${f.kind}`)} · ${formatMoney(f.value_vnd)} · ${formatDate(f.given_on)}`;
    case 'assessments':
      return `${t(`assessment_result.${f.result}`)} · ${f.year}`;
    case 'nominations':
      return `${f.nominee} · ${t(`nominee_kind.${f.nominee_kind}`)} · ${t(`domain.${f.domain}`)}`;
    case 'quarters':
      return `${f.code} – ${f.name}`;
    case 'deeds':
      return `${f.title} · ${t(`deed_status.${f.status}`)}`;
    default:
      return f.name ?? record.collection;
  }
}

/**
 * The household line under a child record, when the household is known.
 * @param {{fields: Record<string, any>}} record
 * @param {Lookups} [lookups]
 */
export function householdLine(record, lookups = {}) {
  const hh = record.fields?.household_id;
  return hh ? (lookups.households?.get(hh) ?? '') : '';
}

/**
 * The body of a review, or the problem that stops it being sent: has_issues and rejected need a
 * comment (the field worker must know what to fix).
 * @param {'approved'|'has_issues'|'rejected'} status
 * @param {string} comment
 * @returns {{ok: true, body: {status: string, comment: string|null}}|{ok: false, problem: string}}
 */
export function reviewBody(status, comment) {
  const text = (comment || '').trim();
  if (status !== 'approved' && !text) return { ok: false, problem: 'staff_comment_required' };
  return { ok: true, body: { status, comment: text || null } };
}

/**
 * A value typed by the admin, read as the field's type.
 * @param {import('../../forms.js').FieldSpec} spec
 * @param {string} text
 * @returns {{ok: true, value: any}|{ok: false}}
 */
export function parseTyped(spec, text) {
  const s = String(text ?? '').trim();
  if (spec.kind === 'int' || spec.kind === 'money') {
    const clean = s.replace(/[.\s₫]/g, '');
    return /^-?\d+$/.test(clean) ? { ok: true, value: Number(clean) } : { ok: false };
  }
  if (spec.kind === 'check') return { ok: true, value: s === 'true' };
  if (spec.kind === 'lines')
    return {
      ok: true,
      value: s
        .split(/\n|;/)
        .map((x) => x.trim())
        .filter(Boolean),
    };
  if (spec.kind === 'phone') return { ok: true, value: s === '' ? null : s.replace(/[\s.-]/g, '') };
  if (spec.kind === 'select' && spec.options) return { ok: true, value: s === '' ? null : s };
  return { ok: true, value: s };
}

/** Field kinds whose value an admin can type in the conflict inbox (lists and places cannot). */
export function canType(/** @type {import('../../forms.js').FieldSpec} */ spec) {
  return !['checks', 'location'].includes(spec.kind);
}

/**
 * @typedef {{pick: 'server'|'client'|'value'|'', text?: string}} FieldChoice
 * @typedef {{fields: Record<string, FieldChoice>, deleted?: boolean|null}} ConflictChoices
 */

/**
 * The resolve request for a conflict from the admin's choices, or what is missing.
 * Every conflicting field must be chosen; delete_vs_edit and edit_vs_delete also need whether the
 * record ends deleted (§6).
 * @param {{collection: string, kind: string, fields: Record<string, any>}} conflict
 * @param {ConflictChoices} choices
 * @returns {{ok: true, body: {choices: Record<string, any>, deleted?: boolean}}|{ok: false, missing: string[], invalid: string[], deletedMissing: boolean}}
 */
export function resolveBody(conflict, choices) {
  /** @type {Record<string, any>} */
  const out = {};
  const missing = [];
  const invalid = [];
  const isDeleteKind = conflict.kind === 'delete_vs_edit' || conflict.kind === 'edit_vs_delete';
  const endsDeleted = isDeleteKind ? choices.deleted : undefined;
  for (const name of inFormOrder(conflict.collection, Object.keys(conflict.fields || {}))) {
    const c = choices.fields[name];
    // A record that ends deleted keeps its fields as a tombstone; choosing them is optional.
    if (!c || !c.pick) {
      if (endsDeleted !== true) missing.push(name);
      continue;
    }
    if (c.pick === 'value') {
      const parsed = parseTyped(fieldSpec(conflict.collection, name), c.text ?? '');
      if (!parsed.ok) invalid.push(name);
      else out[name] = { value: parsed.value };
    } else out[name] = c.pick;
  }
  const deletedMissing = isDeleteKind && typeof endsDeleted !== 'boolean';
  if (missing.length || invalid.length || deletedMissing)
    return { ok: false, missing, invalid, deletedMissing };
  return {
    ok: true,
    body: isDeleteKind
      ? { choices: out, deleted: /** @type {boolean} */ (endsDeleted) }
      : { choices: out },
  };
}

/**
 * Human size: 1536 → `1,5 KB`.
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(1).replace('.', ',')} ${units[i]}`;
}

/**
 * Rows of the progress table: per neighbourhood, the count for each review status and the total,
 * plus a sum row.
 * @param {{id: string, name: string}[]} quarters
 * @param {{quarter: string, status: string, n: number}[]} cells
 */
export function progressTable(quarters, cells) {
  /** @type {Record<string, number>} */
  const sumCounts = {};
  let sumTotal = 0;
  const rows = quarters.map((q) => {
    /** @type {Record<string, number>} */
    const counts = {};
    let total = 0;
    for (const c of cells) {
      if (c.quarter !== q.id) continue;
      counts[c.status] = (counts[c.status] ?? 0) + c.n;
      sumCounts[c.status] = (sumCounts[c.status] ?? 0) + c.n;
      total += c.n;
    }
    sumTotal += total;
    return { id: q.id, name: q.name, counts, total };
  });
  return { rows, sum: { counts: sumCounts, total: sumTotal } };
}

/**
 * Days left until the report is due, in words.
 * @param {number|null|undefined} days negative once the due date has passed
 */
export function dueText(days) {
  if (days === null || days === undefined) return '';
  if (days === 0) return t('staff_due_today');
  return days > 0 ? t('staff_days_left', { n: days }) : t('staff_days_overdue', { n: -days });
}

/**
 * A share as people read it: `66,7%` in Vietnamese, `66.7%` in English; `—` when undefined.
 * @param {number|null|undefined} percent
 */
export function formatPercent(percent) {
  if (percent === null || percent === undefined) return t('staff_empty');
  const locale = language() === 'vi' ? 'vi-VN' : 'en-US';
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(percent)}%`;
}

/**
 * The report's coverage as a percentage with one decimal, as the report's files round it (null
 * with no household on the register).
 * @param {{visited: number, households: number}} coverage
 */
export function coverageShare(coverage) {
  if (!coverage.households) return null;
  return Math.round((1000 * coverage.visited) / coverage.households) / 10;
}

/**
 * Coverage in one cell: `2/3 · 66,7%`.
 * @param {{visited: number, households: number}} coverage
 */
export function coverageText(coverage) {
  return `${coverage.visited}/${coverage.households} · ${formatPercent(coverageShare(coverage))}`;
}

/**
 * A day on a chart's axis: `2024-10-12` → `12/10`.
 * @param {string} day
 */
export function dayLabel(day) {
  return formatDate(day).slice(0, 5);
}

/**
 * A chart's category label in as few lines of at most `width` characters as it needs, broken
 * between words into lines of about the same length (a longer word keeps a line of its own).
 * @param {string} label
 * @param {number} width
 */
export function wrapLabel(label, width) {
  const words = label.split(/\s+/).filter(Boolean);
  const fill = (/** @type {number} */ w) => {
    const lines = [];
    let line = '';
    for (const word of words) {
      if (line && line.length + 1 + word.length > w) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
    return lines;
  };
  const needed = fill(width).length;
  let w = Math.ceil(words.join(' ').length / needed);
  while (w < width && fill(w).length > needed) w += 1;
  return fill(w).join('\n');
}

/**
 * The report's rows per unit split: those with work counted (visits, health insurance
 * registrations or support), which a chart draws, and those with none yet.
 * @template {{visits: {visits: number}, health_insurance: {households: number}, support: {count: number}}} U
 * @param {U[]} units
 * @returns {{worked: U[], idle: U[]}}
 */
export function unitsByWork(units) {
  const any = (/** @type {U} */ u) =>
    u.visits.visits + u.health_insurance.households + u.support.count > 0;
  return { worked: units.filter(any), idle: units.filter((u) => !any(u)) };
}

/**
 * An amount in millions of đồng, as a value axis shows it: `2,5` (vi) or `2.5` (en).
 * @param {number} vnd
 */
export function millions(vnd) {
  const locale = language() === 'vi' ? 'vi-VN' : 'en-US';
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(vnd / 1e6);
}

/** Audit details whose values are neighbourhood ids, review states or dates. */
const AUDIT_QUARTERS = new Set(['quarter', 'quarters']);
const AUDIT_DATES = new Set(['date_from', 'date_to']);

/**
 * An audit entry's details in words: "Tìm: hoa · Khu phố: Khu phố 1 · Số bản ghi: 12". Nested
 * filters (a report's) are read the same way; empty ones are left out.
 * @param {Record<string, any>|null|undefined} details
 * @param {Lookups} lookups
 * @returns {string}
 */
export function auditDetails(details, lookups) {
  /** @type {string[]} */
  const parts = [];
  for (const [key, value] of Object.entries(details ?? {})) {
    if (key === 'unit_id' && value === null) {
      parts.push(`${t('audit_detail.unit_id')}: ${t('staff_empty')}`);
      continue;
    }
    if (value === null || value === undefined || value === '') continue;
    if (typeof value === 'object' && !Array.isArray(value)) {
      const inner = auditDetails(value, lookups);
      if (inner) parts.push(inner);
      continue;
    }
    let shown = Array.isArray(value) ? value : [value];
    if (AUDIT_QUARTERS.has(key)) shown = shown.map((q) => lookups.quarters?.get(q) ?? q);
    else if (key === 'review') shown = shown.map((s) => t(`review.${s}`));
    else if (key === 'status') shown = shown.map((s) => t(`staff_${s}`));
    else if (key === 'role') shown = shown.map((r) => t(`role.${r}`));
    else if (key === 'unit_id') shown = shown.map((u) => lookups.units?.get(u) ?? u);
    else if (key === 'active') shown = shown.map((a) => t(a ? 'staff_active' : 'staff_inactive'));
    else if (key === 'step') shown = shown.map((s) => t(`import_step.${s}`));
    else if (AUDIT_DATES.has(key)) shown = shown.map((d) => formatDate(d));
    else if (key === 'updated_since') shown = shown.map((d) => formatDateTime(d));
    // The thumbnails of a record seen together (one look): how many, not their ids.
    else if (key === 'thumbs') shown = [String(shown.length)];
    const label = t(`audit_detail.${key}`);
    parts.push(`${label === `audit_detail.${key}` ? key : label}: ${shown.join(', ')}`);
  }
  return parts.join(' · ');
}
