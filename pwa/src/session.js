/**
 * Signing in and out. The session (token + user) is kept in IndexedDB so the app opens signed in
 * offline, across reloads; an expired token only matters when syncing.
 */
import { getMeta, keepStorage, setMeta } from './db.js';
import { countWaiting } from './outbox.js';
import { buildRecord } from './records.js';
import { uuidv7 } from './text.js';
import { evictPhotos } from './photos.js';

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
 * What an admin sees this phone called: `Chrome 131 · Android 14` where the browser tells it
 * (client hints: a user agent string no longer names the Android version), else the user agent
 * for the server to read.
 * @param {{userAgent: string, userAgentData?: any}} nav
 */
export async function deviceName(nav) {
  try {
    const hints = await nav.userAgentData?.getHighEntropyValues([
      'fullVersionList',
      'platformVersion',
    ]);
    const brands = /** @type {{brand: string, version: string}[]} */ (hints?.fullVersionList ?? []);
    const real = brands.filter((b) => !/not.?a.?brand/i.test(b.brand));
    // The browser itself rather than its engine (Chromium), when it says so.
    const browser = real.find((b) => b.brand !== 'Chromium') ?? real[0];
    if (browser && hints?.platform) {
      const major = (/** @type {string} */ v) => v.split('.')[0];
      let version = major(hints.platformVersion ?? '');
      // Windows reports 13 and above for 11, below for 10.
      if (hints.platform === 'Windows' && version) version = Number(version) >= 13 ? '11' : '10';
      const system = version && version !== '0' ? `${hints.platform} ${version}` : hints.platform;
      return `${browser.brand.replace(/^Google /, '')} ${major(browser.version)} · ${system}`;
    }
  } catch {
    // No client hints to be had: the user agent below.
  }
  return nav.userAgent.slice(0, 200);
}

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
    device_name: typeof navigator !== 'undefined' ? await deviceName(navigator) : 'test',
  });
  const owner = await getMeta(db, 'data_owner');
  if (owner && owner !== session.user.id) {
    if ((await db.outbox.count()) > 0) throw new OtherUserDataError();
    await clearData(db);
  }
  await setMeta(db, 'data_owner', session.user.id);
  await setMeta(db, 'session', session);
  await setMeta(db, 'needs_sign_in', undefined);
  await setMeta(db, 'signed_out', undefined);
  keepStorage();
  return session;
}

/**
 * @param {import('./db.js').DoorstepDb} db
 */
async function clearData(db) {
  const tables = [db.records, db.bundles, db.outbox, db.meta, db.drafts, db.photos];
  await db.transaction('rw', tables, async () => {
    await db.records.clear();
    await db.bundles.clear();
    await db.outbox.clear();
    await db.drafts.clear();
    await db.photos.clear();
    for (const key of [
      'cursor',
      'last_sync',
      'session',
      'data_owner',
      'needs_sign_in',
      'signed_out',
    ])
      await setMeta(db, key, undefined);
  });
}

/** Why a 401 ends the sign-in for good (§3): then the phone keeps nothing it was sent. */
const REVOKED = new Set(['revoked', 'deactivated', 'expired']);

/**
 * Whether an error is the server saying this sign-in was revoked, the account deactivated, or
 * the sign-in expired (a lost phone, a person who left).
 * @param {any} err
 */
export function isRevocation(err) {
  return err?.status === 401 && REVOKED.has(err?.details?.reason);
}

/**
 * After a revocation: delete every record the server sent, the cursor and the token, at once.
 * Only the user's own unsent changes stay (the outbox, and the local edits it adds up to, with
 * whose they are), so they are pushed when the same user signs in again.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} reason the server's `details.reason`
 */
export async function forgetServerData(db, reason) {
  await db.transaction('rw', db.records, db.outbox, db.meta, db.bundles, async () => {
    // Bundles hold no record with ops (bundles.js).
    await db.bundles.clear();
    const withOps = new Set((await db.outbox.toArray()).map((o) => `${o.collection}/${o.id}`));
    const kept = (await db.records.toArray())
      .filter((r) => withOps.has(`${r.collection}/${r.id}`))
      .map((r) => buildRecord(r.collection, r.id, null, r.patch, r.localDelete));
    await db.records.clear();
    await db.records.bulkPut(kept);
    for (const key of ['cursor', 'last_sync', 'session', 'needs_sign_in'])
      await setMeta(db, key, undefined);
    await setMeta(db, 'signed_out', reason);
  });
  await evictPhotos(db);
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
