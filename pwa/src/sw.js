/// <reference lib="webworker" />
/**
 * The service worker only wires events: precache the app shell and answer navigations with it;
 * everything else (the API, non-GET requests) goes to the network untouched. The first version
 * installed takes control of the page at once, so that later versions wait: a new version waits
 * until a page tells it the user accepted (SKIP_WAITING). Background Sync pushes the outbox.
 */
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { createApi } from './api.js';
import { getDb } from './db.js';
import { deviceId, loadSession } from './session.js';
import { createSyncEngine } from './sync.js';

/** @type {ServiceWorkerGlobalScope & {__WB_MANIFEST: any}} */
const sw = /** @type {any} */ (self);

// `self.__WB_MANIFEST` is replaced at build time by the list of app-shell files.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/^\/api\//] }),
);

// Only the first install claims open pages: a later version claiming a page that runs an older
// one would switch it without the user's consent.
let firstInstall = false;
sw.addEventListener('install', () => {
  firstInstall = !sw.registration.active;
});
sw.addEventListener('activate', (/** @type {any} */ event) => {
  if (firstInstall) event.waitUntil(sw.clients.claim());
});

sw.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') sw.skipWaiting();
});

/** Sync from the worker when no window is open; otherwise let the open window do it. */
async function backgroundSync() {
  const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (windows.length > 0) {
    for (const w of windows) w.postMessage({ type: 'doorstep-sync' });
    return;
  }
  const db = getDb();
  if (!(await loadSession(db))) return;
  const api = createApi({ getToken: async () => (await loadSession(db))?.token });
  const engine = createSyncEngine({
    db,
    api,
    deviceId: () => deviceId(db),
    lock: (fn) => navigator.locks.request('doorstep-sync', fn),
    setTimer: () => null, // the browser retries a failed sync event itself
  });
  const status = await engine.syncNow();
  // Throwing makes the browser retry the sync event later.
  if (status.lastError && status.retryAt) throw new Error(status.lastError.code);
}

sw.addEventListener('sync', (/** @type {any} */ event) => {
  if (event.tag === 'doorstep-outbox') event.waitUntil(backgroundSync());
});
