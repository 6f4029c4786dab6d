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
