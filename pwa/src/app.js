/**
 * The app's services, made once: the database, the API client, the sync engine, the app's
 * updates, and the triggers that start a sync.
 */
import { createApi } from './api.js';
import { getDb } from './db.js';
import { deviceId, loadSession } from './session.js';
import { createSyncEngine, workerPull } from './sync.js';
import { createUpdates } from './update.js';

export const db = getDb();

export const api = createApi({ getToken: async () => (await loadSession(db))?.token });

/** One sync at a time across tabs and the service worker, where Web Locks exist. */
const lock =
  typeof navigator !== 'undefined' && navigator.locks
    ? /** @type {<T>(fn: () => Promise<T>) => Promise<T>} */ (
        (fn) => navigator.locks.request('doorstep-sync', fn)
      )
    : undefined;

/** Pulls happen in a worker (pull-worker.js) where the browser has workers. */
const pull =
  typeof Worker !== 'undefined'
    ? workerPull(() => new Worker(new URL('./pull-worker.js', import.meta.url), { type: 'module' }))
    : undefined;

export const sync = createSyncEngine({ db, api, deviceId: () => deviceId(db), lock, pull });

/** New versions of the app (none in development, where there is no service worker). */
export const updates = createUpdates({
  container:
    import.meta.env.PROD && typeof navigator !== 'undefined' ? navigator.serviceWorker : null,
});

/** Sync if signed in and the browser thinks it is online. */
export async function syncIfOnline() {
  if (!navigator.onLine) return;
  if (!(await loadSession(db))) return;
  await sync.syncNow();
}

/** After a save: sync now when online, and ask for a Background Sync for later otherwise. */
export async function afterSave() {
  try {
    const reg = await navigator.serviceWorker?.getRegistration();
    // @ts-ignore Background Sync is not in every browser's types
    if (reg && 'sync' in reg) await reg.sync.register('doorstep-outbox');
  } catch {
    // Not available or not allowed: the other triggers cover it.
  }
  syncIfOnline();
}

/** Wire the sync triggers: start, online, back to the app, a message from the service worker. */
export function startSyncTriggers() {
  sync.load();
  syncIfOnline();
  window.addEventListener('online', () => syncIfOnline());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncIfOnline();
  });
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'doorstep-sync') syncIfOnline();
  });
}
