/** Start the app: language, the screens, the sync triggers, the service worker (update on consent). */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { registerSW } from 'virtual:pwa-register';
import { db, startSyncTriggers } from './app.js';
import { getMeta, setMeta } from './db.js';
import { pickLanguage, setLanguage } from './i18n.js';
import { App } from './ui/App.jsx';
import './style.css';

/** @type {(reload?: boolean) => Promise<void>} */
let updateSW = async () => {};
/** @type {Set<() => void>} */
const updateListeners = new Set();
let updateAvailable = false;

if ('serviceWorker' in navigator) {
  updateSW = registerSW({
    onNeedRefresh() {
      updateAvailable = true;
      for (const fn of updateListeners) fn();
    },
    onRegisteredSW(_url, registration) {
      // Look for a new version when the app comes back to the foreground.
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible' && navigator.onLine)
          registration?.update().catch(() => {});
      });
    },
  });
}

/** Activate the waiting version (the user pressed Update), or look for one if the server asked. */
async function applyUpdate() {
  if (updateAvailable) return updateSW(true);
  const reg = await navigator.serviceWorker?.getRegistration();
  await reg?.update().catch(() => {});
  if (reg?.waiting) return updateSW(true);
  location.reload();
}

function Root() {
  const [available, setAvailable] = useState(updateAvailable);
  useEffect(() => {
    const fn = () => setAvailable(true);
    updateListeners.add(fn);
    return () => updateListeners.delete(fn);
  }, []);
  return <App update={{ available, apply: applyUpdate }} />;
}

async function start() {
  const params = new URLSearchParams(location.search);
  const query = params.get('lang');
  const lang = pickLanguage({
    saved: await getMeta(db, 'lang'),
    query,
    device: navigator.languages ?? [navigator.language],
  });
  if (query === 'en' || query === 'vi' || !(await getMeta(db, 'lang')))
    await setMeta(db, 'lang', lang);
  setLanguage(lang);
  render(<Root />, /** @type {HTMLElement} */ (document.getElementById('app')));
  startSyncTriggers();
}

start();
