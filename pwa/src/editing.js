/**
 * Which forms are half filled right now, in this window: an app update (and anything else that
 * would reload the page) waits while one is. Forms call `setEditing` as the user types and clear
 * it on save, discard or cancel.
 */

/** @type {Set<string>} */
const editing = new Set();
/** @type {Set<(editing: boolean) => void>} */
const listeners = new Set();

/**
 * Mark the form `key` as holding typed, unsaved input (`dirty`) or not.
 * @param {string} key
 * @param {boolean} dirty
 */
export function setEditing(key, dirty) {
  const before = editing.size > 0;
  if (dirty) editing.add(key);
  else editing.delete(key);
  const now = editing.size > 0;
  if (now !== before) for (const fn of listeners) fn(now);
}

/** Whether some form in this window is half filled. */
export function isEditing() {
  return editing.size > 0;
}

/**
 * Call `fn(isEditing())` whenever that answer changes.
 * @param {(editing: boolean) => void} fn
 * @returns {() => void} unsubscribe
 */
export function onEditingChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
