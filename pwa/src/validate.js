/**
 * Client-side validation mirroring domain.md, so the form says what to fix before anything is
 * queued. The server remains the judge; its refusals show up as "needs attention".
 */
import { values } from './vocabulary.js';

export const PHONE_RE = /^(0\d{9}|\+84\d{9})$/;

/** @typedef {{key: string, params?: Record<string, string|number>}} Problem */
/** @typedef {Record<string, Problem>} Problems */

/**
 * @param {Problems} out
 * @param {string} field
 * @param {any} value
 * @param {number} [max]
 */
function requiredText(out, field, value, max) {
  const s = typeof value === 'string' ? value.trim() : '';
  if (!s) out[field] = { key: 'err_required' };
  else if (max && s.length > max) out[field] = { key: 'err_too_long', params: { max } };
}

/**
 * @param {Problems} out
 * @param {string} field
 * @param {any} value
 * @param {number} max
 */
function optionalText(out, field, value, max) {
  if (typeof value === 'string' && value.length > max)
    out[field] = { key: 'err_too_long', params: { max } };
}

/**
 * @param {Problems} out
 * @param {string} field
 * @param {any} value
 * @param {number} min
 * @param {number} [max]
 */
function intRange(out, field, value, min, max) {
  if (value === null || value === undefined) {
    out[field] = { key: 'err_required' };
    return;
  }
  const ok = Number.isInteger(value) && value >= min && (max === undefined || value <= max);
  if (!ok)
    out[field] =
      max === undefined
        ? { key: 'err_int_min', params: { min } }
        : { key: 'err_int_range', params: { min, max } };
}

/**
 * @param {Problems} out
 * @param {string} field
 * @param {any} value
 * @param {readonly string[]} allowed
 */
function oneOf(out, field, value, allowed) {
  if (!allowed.includes(value)) out[field] = { key: 'err_choose' };
}

/**
 * @param {Problems} out
 * @param {string} field
 * @param {any} value
 */
function date(out, field, value) {
  if (!value) out[field] = { key: 'err_required' };
  else if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))
    out[field] = { key: 'err_date' };
}

/**
 * Check a record's fields as they would be after the change.
 * @param {string} collection
 * @param {Record<string, any>} f
 * @param {Date} [now]
 * @returns {Problems} empty when valid
 */
export function validate(collection, f, now = new Date()) {
  /** @type {Problems} */
  const out = {};
  switch (collection) {
    case 'households':
      if (!f.quarter_id) out.quarter_id = { key: 'err_choose' };
      requiredText(out, 'address', f.address, 200);
      requiredText(out, 'head_name', f.head_name, 100);
      if (f.phone != null && f.phone !== '' && !PHONE_RE.test(f.phone))
        out.phone = { key: 'err_phone' };
      intRange(out, 'members_count', f.members_count, 1, 50);
      optionalText(out, 'notes', f.notes, 2000);
      break;
    case 'visits': {
      const at = Date.parse(f.visited_at);
      if (!f.visited_at || Number.isNaN(at)) out.visited_at = { key: 'err_required' };
      else if (at > now.getTime() + 24 * 3600 * 1000) out.visited_at = { key: 'err_future' };
      oneOf(out, 'purpose', f.purpose, values('purpose'));
      optionalText(out, 'notes', f.notes, 2000);
      break;
    }
    case 'registrations':
      oneOf(out, 'kind', f.kind, values('registration_kind'));
      oneOf(out, 'status', f.status, values('registration_status'));
      intRange(out, 'persons', f.persons, 0, 50);
      if (
        !out.persons &&
        f.kind === 'health_insurance' &&
        f.status === 'registered' &&
        f.persons < 1
      )
        out.persons = { key: 'err_hi_persons' };
      date(out, 'registered_on', f.registered_on);
      optionalText(out, 'notes', f.notes, 2000);
      break;
    case 'support':
      oneOf(out, 'kind', f.kind, values('support_kind'));
      intRange(out, 'value_vnd', f.value_vnd, 0);
      optionalText(out, 'sponsor', f.sponsor, 200);
      date(out, 'given_on', f.given_on);
      optionalText(out, 'notes', f.notes, 2000);
      break;
    case 'assessments':
      intRange(out, 'year', f.year, 2000, 2100);
      oneOf(out, 'result', f.result, values('assessment_result'));
      optionalText(out, 'notes', f.notes, 2000);
      break;
    case 'nominations':
      if (!f.quarter_id) out.quarter_id = { key: 'err_choose' };
      requiredText(out, 'nominee', f.nominee);
      oneOf(out, 'nominee_kind', f.nominee_kind, values('nominee_kind'));
      oneOf(out, 'domain', f.domain, values('domain'));
      requiredText(out, 'achievement', f.achievement, 4000);
      if (f.unit_id && f.nominee_kind !== 'collective')
        out.unit_id = { key: 'err_unit_collective' };
      break;
    case 'deeds':
      if (!f.unit_id) out.unit_id = { key: 'err_choose' };
      if (!f.campaign_id) out.campaign_id = { key: 'err_choose' };
      requiredText(out, 'title', f.title, 200);
      optionalText(out, 'description', f.description, 4000);
      date(out, 'planned_on', f.planned_on);
      oneOf(out, 'status', f.status, values('deed_status'));
      optionalText(out, 'result', f.result, 4000);
      intRange(out, 'beneficiaries', f.beneficiaries, 0, 100000);
      intRange(out, 'value_vnd', f.value_vnd, 0);
      break;
  }
  return out;
}
