/**
 * The supervisor and admin views (issue 4) as rows of the app's route table: field staff get
 * "not allowed" for every one of these addresses (and the server refuses their calls anyway).
 */
import { NotAllowed } from './common.jsx';
import { ConflictInbox } from './ConflictInbox.jsx';
import { Dashboard } from './Dashboard.jsx';
import { AuditLog } from './AuditLog.jsx';
import { NominationsReview } from './NominationsReview.jsx';
import { Progress } from './Progress.jsx';
import { RecordPage } from './RecordPage.jsx';
import { ReferenceData } from './ReferenceData.jsx';
import { ReviewQueue } from './ReviewQueue.jsx';
import { Users } from './Users.jsx';

const STAFF = ['supervisor', 'admin'];
const ADMIN = ['admin'];

/** Addresses that belong to the staff views. */
export const STAFF_PATH =
  /^\/(review|progress|review-nominations|dashboard|conflicts|users|reference|audit)(\/|$)/;

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
    pattern: /^\/conflicts$/,
    roles: ADMIN,
    render: (m, { user }) => <ConflictInbox user={user} path={m[0]} />,
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
  // Anyone else who opens one of these addresses (field staff; a supervisor on an admin view).
  { pattern: STAFF_PATH, roles: ['field', 'supervisor', 'admin'], render: () => <NotAllowed /> },
];
