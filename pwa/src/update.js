/**
 * New versions of the app, only with the user's consent. The service worker controls the page
 * from its first load (it claims it on first install only), so a new version installs and waits
 * until the user accepts it in some window. When it takes over, every window reloads into it,
 * except a window where something is being edited: that one says the new version is ready and
 * reloads once the form is saved or cancelled.
 *
 * Plain service-worker API rather than workbox-window: what must happen when another window
 * accepts (keep a half-filled form, reload later) is exactly the `controllerchange` handling
 * that workbox-window's prompt flow does on its own.
 */
import { isEditing, onEditingChange } from './editing.js';

/**
 * @typedef {{waiting: boolean, ready: boolean}} UpdateStatus
 * `waiting`: a new version is installed and waits for the user. `ready`: a new version took over
 * (accepted in another window) while this window was editing; it reloads when editing ends.
 */

/**
 * @param {{container?: ServiceWorkerContainer|null, reload?: () => void,
 *   isEditing?: () => boolean, onEditingChange?: (fn: (editing: boolean) => void) => () => void}} [deps]
 */
export function createUpdates(deps = {}) {
  const container = deps.container ?? null;
  const reload = deps.reload ?? (() => location.reload());
  const editing = deps.isEditing ?? isEditing;
  const onEditing = deps.onEditingChange ?? onEditingChange;
  /** @type {Set<(s: UpdateStatus) => void>} */
  const listeners = new Set();
  /** @type {UpdateStatus} */
  let status = { waiting: false, ready: false };
  /** @type {ServiceWorkerRegistration|null} */
  let registration = null;
  let controlled = !!container?.controller;
  let reloading = false;
  /** @type {WeakSet<ServiceWorker>} */
  const watched = new WeakSet();

  /** @param {Partial<UpdateStatus>} change */
  function set(change) {
    status = { ...status, ...change };
    for (const fn of [...listeners]) fn(status);
  }

  function reloadOnce() {
    if (reloading) return;
    reloading = true;
    reload();
  }

  /** Reload into the version now in control, as soon as nothing is being edited. */
  function reloadWhenFree() {
    if (!editing()) return reloadOnce();
    set({ waiting: false, ready: true });
    const stop = onEditing((now) => {
      if (now) return;
      stop();
      // After the form's own clean-up has finished (it may still hold a beforeunload guard).
      setTimeout(reloadOnce, 0);
    });
  }

  /** Follow the registration's workers so `waiting` is always what the browser holds. */
  function look() {
    const reg = registration;
    if (!reg) return;
    for (const worker of [reg.installing, reg.waiting]) {
      if (worker && !watched.has(worker)) {
        watched.add(worker);
        worker.addEventListener('statechange', look);
      }
    }
    if (!status.ready && status.waiting !== !!reg.waiting) set({ waiting: !!reg.waiting });
  }

  container?.addEventListener('controllerchange', () => {
    // The first version claiming the page it was installed from changes nothing the user sees.
    if (!controlled) {
      controlled = true;
      return;
    }
    reloadWhenFree();
  });

  return {
    /** @returns {UpdateStatus} */
    get status() {
      return status;
    },
    /** @param {(s: UpdateStatus) => void} fn @returns {() => void} unsubscribe */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /**
     * Register the service worker and start following its versions.
     * @param {string} url
     */
    async register(url) {
      if (!container) return;
      registration = await container.register(url, { scope: '/' });
      registration.addEventListener('updatefound', look);
      look();
    },
    /** Ask the server whether there is a new version (it then installs and waits). */
    async check() {
      await registration?.update().catch(() => {});
      look();
    },
    /**
     * The user accepted the new version: let the waiting one take over (every window reloads
     * into it, or later if editing). With none waiting (the server asked for a newer app), look
     * for one first; with none at all, reload into whatever is newest.
     */
    async apply() {
      const reg = registration ?? (await container?.getRegistration()) ?? null;
      if (reg && !reg.waiting) {
        await reg.update().catch(() => {});
        const installing = reg.installing;
        if (installing) await installed(installing);
      }
      const waiting = reg?.waiting;
      if (!waiting) return reloadOnce();
      waiting.postMessage({ type: 'SKIP_WAITING' });
      // A page the worker does not control gets no `controllerchange`: reload once it is active.
      await activated(waiting);
      reloadWhenFree();
    },
  };
}

/** @param {ServiceWorker} worker */
function installed(worker) {
  return untilState(worker, (s) => s !== 'installing');
}

/** @param {ServiceWorker} worker */
function activated(worker) {
  return untilState(worker, (s) => s === 'activated' || s === 'redundant');
}

/**
 * @param {ServiceWorker} worker
 * @param {(state: string) => boolean} done
 * @returns {Promise<void>}
 */
function untilState(worker, done) {
  return new Promise((resolve) => {
    if (done(worker.state)) return resolve();
    const fn = () => {
      if (!done(worker.state)) return;
      worker.removeEventListener('statechange', fn);
      resolve();
    };
    worker.addEventListener('statechange', fn);
  });
}
