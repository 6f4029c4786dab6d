/**
 * What went wrong, in the user's language: a server error is told from the catalogue by its
 * `code` (§7), never by the server's own (English) message; invalid fields by their labels.
 */
import { t } from '../i18n.js';

/**
 * The catalogue's words for an error code (`code_<code>`), or a plain "error (code)".
 * @param {{code?: string|null}|null|undefined} error
 */
export function errorText(error) {
  const code = error?.code || 'error';
  const key = `code_${code}`;
  const text = t(key);
  return text === key ? t('code_unknown', { code }) : text;
}

/**
 * A field named in an error's details, by its label when the catalogue has one.
 * @param {string} name
 */
export function fieldName(name) {
  const label = t(name);
  return label === name ? name : label.replace(/\s*\(.*\)$/, '');
}

/**
 * Why the server refused a change, in words: whose household and which neighbourhood for a change
 * outside the user's neighbourhoods, else the reason from the catalogue.
 * @param {import('../db.js').OutboxOp} op
 */
export function refusal(op) {
  if (op.code === 'forbidden' && op.about?.quarter)
    return t(op.collection === 'nominations' ? 'forbidden_nomination' : 'forbidden_household', {
      quarter: op.about.quarter,
      name: op.about.name,
    });
  return t('server_said', { reason: errorText({ code: op.code }) });
}
