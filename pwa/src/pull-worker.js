/**
 * The pull worker: pulls every page from the saved cursor and stores it (sync.js
 * servePullRequest), off the page's thread, so that the app stays responsive on a first sync of
 * tens of thousands of records. The network goes through api.js, as everywhere.
 */
import { createApi } from './api.js';
import { getDb } from './db.js';
import { loadSession } from './session.js';
import { servePullRequest } from './sync.js';

const db = getDb();
const api = createApi({ getToken: async () => (await loadSession(db))?.token });

self.onmessage = (/** @type {MessageEvent} */ event) =>
  servePullRequest(db, api, event.data, (message) => {
    // Where the last pull's time went, kept on the worker's global scope for a bench or a
    // debugger to read (bench/pwa_bench.py).
    if (message.type === 'done') /** @type {any} */ (self).pullTimings = message.timings;
    self.postMessage(message);
  });
