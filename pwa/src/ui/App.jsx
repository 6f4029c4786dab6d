/**
 * The app shell: signed out → sign-in; signed in → header (sync status), the screen for the
 * current path, bottom navigation. Routes name the roles that may open them, so the supervisor
 * and admin views slot in as more rows of the table.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { db, sync, updates } from '../app.js';
import { getMeta } from '../db.js';
import { setLanguage, t } from '../i18n.js';
import { Header, NavBar } from './Header.jsx';
import { navigate, useAnyFormEditing, useEngineStatus, useLive, usePath } from './hooks.js';
import { Deeds } from './Deeds.jsx';
import { HouseholdList, HouseholdPage } from './Households.jsx';
import { Nominations } from './Nominations.jsx';
import { RecordForm } from './RecordForm.jsx';
import { Settings } from './Settings.jsx';
import { SignIn } from './SignIn.jsx';
import { SyncScreen } from './SyncScreen.jsx';
import { ToFix } from './ToFix.jsx';
import { STAFF_ROUTES } from './staff/routes.jsx';
import { values } from '../vocabulary.js';

const ALL = values('role');
const STAFF = ['supervisor', 'admin'];
const CHILD = '(visits|registrations|support|assessments|nominations)';

/**
 * @typedef {{pattern: RegExp, roles: string[], render: (m: RegExpMatchArray, ctx: {user: any, setLang: (l: 'vi'|'en') => void}) => any}} Route
 * @type {Route[]}
 */
export const ROUTES = [
  { pattern: /^\/$/, roles: ALL, render: () => <HouseholdList /> },
  {
    pattern: /^\/households\/new$/,
    roles: ALL,
    render: (_m, { user }) => <RecordForm collection="households" user={user} />,
  },
  {
    pattern: /^\/households\/([^/]+)\/edit$/,
    roles: ALL,
    render: (m, { user }) => (
      <RecordForm key={m[1]} collection="households" id={m[1]} user={user} />
    ),
  },
  {
    pattern: /^\/households\/([^/]+)\/(visits|registrations|support|assessments)\/new$/,
    roles: ALL,
    render: (m, { user }) => (
      <RecordForm key={m[0]} collection={m[2]} householdId={m[1]} user={user} />
    ),
  },
  {
    pattern: /^\/households\/([^/]+)$/,
    roles: ALL,
    render: (m, { user }) => <HouseholdPage id={m[1]} user={user} />,
  },
  {
    pattern: new RegExp(`^/records/${CHILD}/([^/]+)/edit$`),
    roles: ALL,
    render: (m, { user }) => <RecordForm key={m[0]} collection={m[1]} id={m[2]} user={user} />,
  },
  { pattern: /^\/nominations$/, roles: ALL, render: (_m, { user }) => <Nominations user={user} /> },
  {
    pattern: /^\/nominations\/new$/,
    roles: ALL,
    render: (_m, { user }) => <RecordForm collection="nominations" user={user} />,
  },
  { pattern: /^\/deeds$/, roles: ALL, render: (_m, { user }) => <Deeds user={user} /> },
  {
    pattern: /^\/deeds\/new$/,
    roles: STAFF,
    render: (_m, { user }) => <RecordForm collection="deeds" user={user} />,
  },
  {
    pattern: /^\/records\/deeds\/([^/]+)\/edit$/,
    roles: STAFF,
    render: (m, { user }) => <RecordForm key={m[0]} collection="deeds" id={m[1]} user={user} />,
  },
  { pattern: /^\/sync$/, roles: ALL, render: () => <SyncScreen /> },
  { pattern: /^\/to-fix$/, roles: ALL, render: () => <ToFix /> },
  {
    pattern: /^\/settings$/,
    roles: ALL,
    render: (_m, { user, setLang }) => <Settings user={user} onLanguage={setLang} />,
  },
  {
    pattern: /^\/sign-in$/,
    roles: ALL,
    render: (_m, { user }) => <SignIn again username={user.username} />,
  },
  ...STAFF_ROUTES, // supervisor and admin views
];

export function App() {
  const [, setLangTick] = useState(0);
  const session = useLive(() => getMeta(db, 'session').then((s) => s ?? null), []);
  const path = usePath();
  const setLang = (/** @type {'vi'|'en'} */ lang) => {
    setLanguage(lang);
    setLangTick((n) => n + 1);
  };

  useFocusOnNavigation(path);

  if (session === undefined) return null;
  if (!session) return <SignIn />;
  const user = session.user;
  let view = <p class="notice">{t('not_found')}</p>;
  for (const r of ROUTES) {
    const m = path.match(r.pattern);
    if (m && r.roles.includes(user.role)) {
      view = r.render(m, { user, setLang });
      break;
    }
  }
  return (
    <div class="shell">
      <a
        class="skip-link"
        href="#content"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('content')?.focus();
        }}
      >
        {t('skip_to_content')}
      </a>
      <Header />
      <Banners />
      <div id="content" tabIndex={-1}>
        {view}
      </div>
      <NavBar path={path} role={user.role} />
    </div>
  );
}

/**
 * After moving to another screen (a tap in the navigation, a save), focus goes to the new
 * screen's heading, so that a screen reader and a keyboard start there.
 * @param {string} path
 */
function useFocusOnNavigation(path) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return undefined;
    }
    // The new screen may render its heading a moment later (once its record is read).
    let frames = 0;
    let frame = requestAnimationFrame(function focusHeading() {
      const heading = /** @type {HTMLElement|null} */ (document.querySelector('#content h1'));
      if (!heading) {
        if (++frames < 60) frame = requestAnimationFrame(focusHeading);
        return;
      }
      if (heading.contains(document.activeElement)) return;
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    });
    return () => cancelAnimationFrame(frame);
  }, [path]);
}

/**
 * Things the user must act on: sign in again, update the app. A new version is offered here and
 * taken only when the user presses Update; never while a form is being filled in.
 */
function Banners() {
  const status = useEngineStatus(sync);
  const update = useEngineStatus(updates);
  const editing = useAnyFormEditing();
  const path = usePath();
  return (
    <>
      {status.needsSignIn && path !== '/sign-in' && (
        <div class="banner warn" role="alert">
          <span>{t('sign_in_again')}</span>
          <button type="button" class="primary" onClick={() => navigate('/sign-in')}>
            {t('sign_in_again_button')}
          </button>
        </div>
      )}
      {update.ready ? (
        <div class="banner info" role="alert">
          <span>{t('update_ready_after_form')}</span>
        </div>
      ) : (
        (update.waiting || status.updateRequired) && (
          <div class="banner info" role="alert">
            <span>{status.updateRequired ? t('update_required') : t('update_available')}</span>
            {editing ? (
              <span class="muted">{t('update_after_form')}</span>
            ) : (
              <button type="button" class="primary" onClick={() => updates.apply()}>
                {t('update_now')}
              </button>
            )}
          </div>
        )
      )}
    </>
  );
}
