/**
 * The campaign's vocabulary, read from the file the server validates against and prints in the
 * report (`server/vocabulary.json`, see `server/vocabulary.py`): each enum's values in order and
 * each value's Vietnamese and English label (the audit log's actions among them). Forms offer these values, validation accepts them,
 * and the catalogue (`i18n.js`) shows them as `kind.value` keys, so the app and the report to the
 * district use the same words.
 */
import vocabulary from '../../server/vocabulary.json';

/** @typedef {keyof typeof vocabulary} Kind */

/**
 * The values of one enum, in the order forms offer them.
 * @param {Kind} kind
 * @returns {string[]}
 */
export function values(kind) {
  return Object.keys(vocabulary[kind]);
}

/**
 * Every label of one language as catalogue entries: `{'support_kind.gift': 'Quà tặng', …}`.
 * @param {'vi'|'en'} lang
 * @returns {Record<string, string>}
 */
export function catalogueEntries(lang) {
  /** @type {Record<string, string>} */
  const entries = {};
  for (const [kind, byValue] of Object.entries(vocabulary))
    for (const [value, labels] of Object.entries(byValue))
      entries[`${kind}.${value}`] = /** @type {Record<string, string>} */ (labels)[lang];
  return entries;
}
