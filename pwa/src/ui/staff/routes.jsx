/**
 * The supervisor and admin views as rows of the app's route table: field staff get
 * "not allowed" for every one of these addresses (and the server refuses their calls anyway).
 * Only this module is in the app's first load: the views, their calls and their styles come with
 * their chunk (`views.js`).
 */
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n.js';

/** @type {Promise<Record<string, any>> | undefined} */
let views;

/**
 * A staff view that loads its chunk on first use (see `views.js`).
 * @param {string} name the view's export name
 */
function onDemand(name) {
  /** @param {Record<string, any>} props */
  function StaffView(props) {
    const [loaded, setLoaded] = useState(/** @type {Record<string, any> | null} */ (null));
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      let live = true;
      views ??= import('./views.js');
      views.then(
        (module) => live && setLoaded(module),
        () => {
          views = undefined; // try again next time, e.g. once back online
          if (live) setFailed(true);
        },
      );
      return () => {
        live = false;
      };
    }, []);
    if (failed) return <p role="alert">{t('staff_needs_connection')}</p>;
    if (!loaded) return <p class="muted">{t('staff_loading')}</p>;
    const View = loaded[name];
    return <View {...props} />;
  }
  return StaffView;
}

/** Shown to field staff who open a supervisor or admin address. */
function NotAllowed() {
  return (
    <main class="screen">
      <p class="notice error" role="alert">
        {t('staff_forbidden')}
      </p>
    </main>
  );
}

const AuditLog = onDemand('AuditLog');
const CampaignMap = onDemand('CampaignMap');
const ConflictInbox = onDemand('ConflictInbox');
const Dashboard = onDemand('Dashboard');
const ImportHouseholds = onDemand('ImportHouseholds');
const NominationsReview = onDemand('NominationsReview');
const Progress = onDemand('Progress');
const RecordPage = onDemand('RecordPage');
const ReferenceData = onDemand('ReferenceData');
const ReviewQueue = onDemand('ReviewQueue');
const StrandedChanges = onDemand('StrandedChanges');
const Users = onDemand('Users');

const STAFF = ['supervisor', 'admin'];
const ADMIN = ['admin'];

/** Addresses that belong to the staff views. */
export const STAFF_PATH =
  /^\/(review|progress|review-nominations|dashboard|map|conflicts|stranded|users|reference|audit|import)(\/|$)/;

/** @type {import('../App.jsx').Route[]} */
export const STAFF_ROUTES = [
  {
    pattern: /^\/review$/,
    roles: STAFF,
    render: (m, { user }) => <ReviewQueue user={user} path={m[0]} />,
  },
  {
    pattern:
      /^\/review\/(households|visits|registrations|support|assessments|nominations)\/([^/]+)$/,
    roles: STAFF,
    render: (m, { user }) => (
      <RecordPage key={m[0]} user={user} path={m[0]} collection={m[1]} id={m[2]} />
    ),
  },
  {
    pattern: /^\/progress$/,
    roles: STAFF,
    render: (m, { user }) => <Progress user={user} path={m[0]} />,
  },
  {
    pattern: /^\/review-nominations$/,
    roles: STAFF,
    render: (m, { user }) => <NominationsReview user={user} path={m[0]} />,
  },
  {
    pattern: /^\/dashboard$/,
    roles: STAFF,
    render: (m, { user }) => <Dashboard user={user} path={m[0]} />,
  },
  {
    pattern: /^\/map$/,
    roles: STAFF,
    render: (m, { user }) => <CampaignMap user={user} path={m[0]} />,
  },
  {
    pattern: /^\/conflicts$/,
    roles: ADMIN,
    render: (m, { user }) => <ConflictInbox user={user} path={m[0]} />,
  },
  {
    pattern: /^\/stranded$/,
    roles: ADMIN,
    render: (m, { user }) => <StrandedChanges user={user} path={m[0]} />,
  },
  {
    pattern: /^\/users$/,
    roles: ADMIN,
    render: (m, { user }) => <Users user={user} path={m[0]} />,
  },
  {
    pattern: /^\/reference$/,
    roles: ADMIN,
    render: (m, { user }) => <ReferenceData user={user} path={m[0]} />,
  },
  {
    pattern: /^\/audit$/,
    roles: ADMIN,
    render: (m, { user }) => <AuditLog user={user} path={m[0]} />,
  },
  {
    pattern: /^\/import$/,
    roles: ADMIN,
    render: (m, { user }) => <ImportHouseholds user={user} path={m[0]} />,
  },
  // Anyone else who opens one of these addresses (field staff; a supervisor on an admin view).
  { pattern: STAFF_PATH, roles: ['field', 'supervisor', 'admin'], render: () => <NotAllowed /> },
];
