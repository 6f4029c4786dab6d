/**
 * Drafts: what the user typed in a form and has not saved, kept in IndexedDB as they type, so that
 * leaving the form, a reload or the phone killing the tab loses nothing. A draft is not an outbox
 * change: it is never pushed, and it goes when the form is saved or the draft discarded.
 */

/**
 * The draft key of a form: the record it edits, or the new record it would create (per household
 * for child records).
 * @param {string} collection
 * @param {string|null} id the record edited, null for a new one
 * @param {string|null} householdId
 */
export function draftKey(collection, id, householdId) {
  return id ? `${collection}/${id}` : `${collection}/new/${householdId ?? ''}`;
}

/**
 * The form a draft comes back as. A new record's draft is taken whole; an edit's draft only brings
 * back the fields the user changed, over the record as it is now (others may have changed the rest
 * since).
 * @param {Record<string, any>} start the form of the record (or of a new one)
 * @param {import('./db.js').Draft} draft
 * @param {boolean} editing
 */
export function restoreDraft(start, draft, editing) {
  if (!editing) return { ...start, ...draft.form };
  const out = { ...start };
  for (const [name, value] of Object.entries(draft.form)) {
    if (JSON.stringify(value) !== JSON.stringify(draft.base?.[name])) out[name] = value;
  }
  return out;
}

/**
 * Keep what is typed (replacing the form's earlier draft).
 * @param {import('./db.js').DoorstepDb} db
 * @param {Omit<import('./db.js').Draft, 'at'>} draft
 */
export function saveDraft(db, draft) {
  return db.drafts.put({ ...draft, at: new Date().toISOString() });
}

/**
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} key
 */
export async function loadDraft(db, key) {
  return (await db.drafts.get(key)) ?? null;
}

/**
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} key
 */
export function deleteDraft(db, key) {
  return db.drafts.delete(key);
}

/**
 * Every draft, most recent first.
 * @param {import('./db.js').DoorstepDb} db
 */
export async function listDrafts(db) {
  const rows = await db.drafts.toArray();
  return rows.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}
