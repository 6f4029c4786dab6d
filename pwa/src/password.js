/**
 * Changing one's own password (sync-protocol.md §9): what the form checks before sending, and
 * what a refusal means for it. The change is made online or not at all: it never waits in the
 * outbox, where an old password would wait with it.
 */

/** The same rule as the server's (and as for a password an admin sets). */
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 200;

/**
 * @typedef {{current: string, next: string, repeat: string}} PasswordForm
 * @typedef {import('./validate.js').Problems} Problems
 */

/**
 * What to fix before sending, by field.
 * @param {PasswordForm} form
 * @returns {Problems}
 */
export function passwordProblems(form) {
  /** @type {Problems} */
  const out = {};
  if (!form.current) out.current = { key: 'err_required' };
  if (!form.next) out.next = { key: 'err_required' };
  else if (form.next.length < MIN_PASSWORD)
    out.next = { key: 'password_too_short', params: { min: MIN_PASSWORD } };
  if (!form.repeat) out.repeat = { key: 'err_required' };
  else if (form.next && form.repeat !== form.next) out.repeat = { key: 'password_mismatch' };
  return out;
}

/**
 * The server's refusal (an ApiError), told by its code: a problem beside the field it is about,
 * else a message key for the whole form (`reason` given: the catalogue's words for the code).
 * @param {{status?: number, code?: string, details?: any}} error
 * @returns {{problems: Problems, message: string|null}}
 */
export function passwordRefusal(error) {
  if (error.code === 'wrong_password')
    return { problems: { current: { key: 'password_wrong' } }, message: null };
  if (error.code === 'validation' && error.details?.new_password)
    return {
      problems: { next: { key: 'password_too_short', params: { min: MIN_PASSWORD } } },
      message: null,
    };
  if (error.status === 0) return { problems: {}, message: 'password_needs_connection' };
  if (error.code === 'too_many_attempts') return { problems: {}, message: 'password_too_many' };
  return { problems: {}, message: 'server_said' };
}
