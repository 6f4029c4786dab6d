/**
 * Signing in and out. The session (token + user) is kept in IndexedDB so the app opens signed in
 * offline, across reloads; an expired token only matters when syncing.
 */
import { getMeta, keepStorage, setMeta } from './db.js';
import { countWaiting } from './outbox.js';
import { uuidv7 } from './text.js';

/**
 * This phone's id, made once and kept across sign-ins.
 * @param {import('./db.js').DoorstepDb} db
 * @returns {Promise<string>}
 */
export async function deviceId(db) {
  let id = await getMeta(db, 'device_id');
  if (!id) {
    id = uuidv7();
    await setMeta(db, 'device_id', id);
  }
  return id;
}

/**
 * @param {import('./db.js').DoorstepDb} db
 * @returns {Promise<import('./api.js').Session|null>}
 */
export async function loadSession(db) {
  return (await getMeta(db, 'session')) ?? null;
}

export class OtherUserDataError extends Error {}

/**
 * Sign in. When another user's data is on the phone, it is cleared first, unless some of it was
 * never sent (then signing in is refused: that user must sync first).
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./api.js').Api} api
 * @param {string} username
 * @param {string} password
 */
export async function signIn(db, api, username, password) {
  const session = await api.login({
    username,
    password,
    device_id: await deviceId(db),
    device_name: typeof navigator !== 'undefined' ? navigator.userAgent.slice(0, 100) : 'test',
  });
  const owner = await getMeta(db, 'data_owner');
  if (owner && owner !== session.user.id) {
    if ((await db.outbox.count()) > 0) throw new OtherUserDataError();
    await clearData(db);
  }
  await setMeta(db, 'data_owner', session.user.id);
  await setMeta(db, 'session', session);
  await setMeta(db, 'needs_sign_in', undefined);
  keepStorage();
  return session;
}

/**
 * @param {import('./db.js').DoorstepDb} db
 */
async function clearData(db) {
  await db.transaction('rw', db.records, db.outbox, db.meta, async () => {
    await db.records.clear();
    await db.outbox.clear();
    for (const key of ['cursor', 'last_sync', 'session', 'data_owner', 'needs_sign_in'])
      await setMeta(db, key, undefined);
  });
}

/**
 * Sign out and delete this user's data from the phone. Refuses while changes are unsent unless
 * `force` (the user chose it, after being offered to save them to a file).
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./api.js').Api} api
 * @param {{force?: boolean}} [options]
 * @returns {Promise<boolean>} whether it signed out
 */
export async function signOut(db, api, options = {}) {
  if (!options.force && (await countWaiting(db)) > 0) return false;
  await api.logout().catch(() => {});
  await clearData(db);
  return true;
}

/**
 * Everything not yet accepted by the server, as a JSON document the user can keep.
 * @param {import('./db.js').DoorstepDb} db
 */
export async function exportUnsent(db) {
  const ops = await db.outbox.toArray();
  const session = await loadSession(db);
  return JSON.stringify(
    {
      exported_at: new Date().toISOString(),
      user: session?.user ?? null,
      device_id: await deviceId(db),
      ops,
    },
    null,
    2,
  );
}
