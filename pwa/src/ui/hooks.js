/** Small hooks the screens share: live database queries, the route, sync status, forms being edited. */
import { liveQuery } from 'dexie';
import { useEffect, useState } from 'preact/hooks';
import { db } from '../app.js';
import { inCollection } from '../db.js';
import { isEditing, onEditingChange, setEditing } from '../editing.js';

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
 * The live status of something that has one (the sync engine, app updates). It is read again
 * when subscribing, so a change between the first render and the subscription is not missed.
 * @template S
 * @param {{status: S, subscribe: (fn: (s: S) => void) => () => void}} engine
 */
export function useEngineStatus(engine) {
  const [status, setStatus] = useState(engine.status);
  useEffect(() => {
    setStatus(engine.status);
    return engine.subscribe(setStatus);
  }, [engine]);
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

/**
 * Tell `editing.js` that the calling form (`key`) holds typed, unsaved input while `dirty`.
 * @param {string} key
 * @param {boolean} dirty
 */
export function useEditing(key, dirty) {
  useEffect(() => {
    setEditing(key, dirty);
    return () => setEditing(key, false);
  }, [key, dirty]);
}

/** Whether some form in this window is half filled (see `editing.js`). */
export function useAnyFormEditing() {
  const [editing, setState] = useState(isEditing());
  useEffect(() => {
    setState(isEditing()); // what changed before subscribing
    return onEditingChange(setState);
  }, []);
  return editing;
}

/**
 * Names of neighbourhoods, groups, campaigns, units (pulled reference data on this device), by id.
 * @returns {import('./staff/present.js').Lookups & {quarterList: {id: string, code: string, name: string}[], campaignList: any[],
 *   unitList: {id: string, name: string, active: boolean|undefined}[]}}
 */
export function useLookups() {
  const value = useLive(async () => {
    const rows = (
      await Promise.all(
        ['quarters', 'groups', 'campaigns', 'units'].map((c) => inCollection(db, c).toArray()),
      )
    ).flat();
    const of = (/** @type {string} */ c) => rows.filter((r) => r.collection === c && !r.deleted);
    const quarterList = of('quarters')
      .map((r) => ({ id: r.id, code: r.fields.code ?? '', name: r.fields.name ?? '' }))
      .sort((a, b) => a.code.localeCompare(b.code, undefined, { numeric: true }));
    const campaignList = of('campaigns')
      .map((r) => ({ id: r.id, ...r.fields }))
      .sort((a, b) => String(b.starts_on).localeCompare(String(a.starts_on)));
    const unitList = of('units')
      .map((r) => ({ id: r.id, name: String(r.fields.name ?? ''), active: r.fields.active }))
      .sort((a, b) => a.name.localeCompare(b.name, 'vi'));
    return {
      quarterList,
      campaignList,
      unitList,
      quarters: new Map(quarterList.map((q) => [q.id, q.name])),
      groups: new Map(of('groups').map((r) => [r.id, r.fields.name])),
      campaigns: new Map(campaignList.map((c) => [c.id, c.name])),
      units: new Map(unitList.map((u) => [u.id, u.name])),
    };
  }, []);
  return (
    value ?? {
      quarterList: [],
      campaignList: [],
      unitList: [],
      quarters: new Map(),
      groups: new Map(),
      campaigns: new Map(),
      units: new Map(),
    }
  );
}
