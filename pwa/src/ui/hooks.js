/** Small hooks the screens share: live database queries, the route, sync status, dirty forms. */
import { liveQuery } from 'dexie';
import { useEffect, useState } from 'preact/hooks';

/**
 * Re-run a Dexie query whenever the tables it read change (in this tab or another).
 * @template T
 * @param {() => Promise<T>} query
 * @param {any[]} deps
 * @param {T} [initial]
 * @returns {T|undefined}
 */
export function useLive(query, deps, initial) {
  const [value, setValue] = useState(/** @type {T|undefined} */ (initial));
  useEffect(() => {
    const sub = liveQuery(query).subscribe({ next: setValue, error: (e) => console.error(e) });
    return () => sub.unsubscribe();
  }, deps);
  return value;
}

/** @type {Set<() => void>} */
const routeListeners = new Set();

/**
 * Go to a path inside the app.
 * @param {string} path
 * @param {{replace?: boolean}} [options]
 */
export function navigate(path, options = {}) {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.scrollTo(0, 0);
  for (const fn of routeListeners) fn();
}

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => {
    for (const fn of routeListeners) fn();
  });
}

/** The current path, re-rendering on navigation. */
export function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const fn = () => setPath(location.pathname);
    routeListeners.add(fn);
    return () => routeListeners.delete(fn);
  }, []);
  return path;
}

/**
 * @template S
 * @param {{status: S, subscribe: (fn: (s: S) => void) => () => void}} engine
 */
export function useEngineStatus(engine) {
  const [status, setStatus] = useState(engine.status);
  useEffect(() => engine.subscribe(setStatus), [engine]);
  return status;
}

/** Whether the browser says it is online. */
export function useOnline() {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

/** Forms being filled in right now; an app update waits until there are none. */
const dirtyForms = new Set();
/** @type {Set<() => void>} */
const dirtyListeners = new Set();

/**
 * Mark the calling form as half filled while `dirty` is true.
 * @param {boolean} dirty
 */
export function useDirty(dirty) {
  useEffect(() => {
    const token = {};
    if (dirty) {
      dirtyForms.add(token);
      for (const fn of dirtyListeners) fn();
    }
    const beforeUnload = (/** @type {BeforeUnloadEvent} */ e) => {
      if (dirty) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      dirtyForms.delete(token);
      for (const fn of dirtyListeners) fn();
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [dirty]);
}

/** Whether some form is half filled. */
export function useAnyFormDirty() {
  const [dirty, setDirty] = useState(dirtyForms.size > 0);
  useEffect(() => {
    const fn = () => setDirty(dirtyForms.size > 0);
    dirtyListeners.add(fn);
    return () => dirtyListeners.delete(fn);
  }, []);
  return dirty;
}
