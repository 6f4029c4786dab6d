/** Start the app: language, the screens, the sync triggers, the service worker (update on consent). */
import { render } from 'preact';
import { db, startSyncTriggers, updates } from './app.js';
import { getMeta, keepStorage, setMeta } from './db.js';
import { pickLanguage, setLanguage } from './i18n.js';
import { loadSession } from './session.js';
import { App } from './ui/App.jsx';
import './style.css';

/** Register the service worker once the page has loaded, and look for a new version on return. */
function startUpdates() {
  const register = () => updates.register(`${import.meta.env.BASE_URL}sw.js`).catch(() => {});
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && navigator.onLine) updates.check();
  });
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
  render(<App />, /** @type {HTMLElement} */ (document.getElementById('app')));
  startUpdates();
  startSyncTriggers();
  // Browsers grant persistent storage more readily later (e.g. once the app is installed).
  if (await loadSession(db)) keepStorage();
}

start();
