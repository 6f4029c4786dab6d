/**
 * The audit log (admin): who looked at personal data or exported, what, and when; filtered by
 * person, action and day, records named by their household.
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { formatDateTime } from '../../text.js';
import { values } from '../../vocabulary.js';
import { ErrorNotice, Pager, StaffPage, staff, useLookups, useRemote } from './common.jsx';
import { auditDetails } from './present.js';

const PAGE = 100;
/** The actions the server notes, as its `action` filter takes them (the shared vocabulary). */
const ACTIONS = values('audit_action');

/** @param {{user: any, path: string}} props */
export function AuditLog({ user, path }) {
  const [page, setPage] = useState(0);
  const [filters, setFilters] = useState({ user: '', action: '', date_from: '', date_to: '' });
  const people = useRemote(() => staff.users(), []);
  const lookups = useLookups();
  const list = useRemote(
    () => staff.audit({ ...filters, limit: PAGE, offset: page * PAGE }),
    [page, filters.user, filters.action, filters.date_from, filters.date_to],
  );
  const entries = /** @type {any[]} */ (list.data?.entries ?? []);
  const pages = Math.max(1, Math.ceil((list.data?.total ?? 0) / PAGE));
  const set = (/** @type {string} */ name, /** @type {string} */ value) => {
    setFilters({ ...filters, [name]: value });
    setPage(0);
  };
  return (
    <StaffPage user={user} path={path} title={t('staff_audit_title')}>
      <div class="staff-filters">
        <label>
          <span>{t('staff_user')}</span>
          <select value={filters.user} onChange={(e) => set('user', e.currentTarget.value)}>
            <option value="">{t('staff_audit_all_users')}</option>
            {(people.data?.users ?? []).map((/** @type {any} */ u) => (
              <option key={u.id} value={u.id}>
                {u.display_name} ({u.username})
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('staff_action')}</span>
          <select value={filters.action} onChange={(e) => set('action', e.currentTarget.value)}>
            <option value="">{t('staff_audit_all_actions')}</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {t(`audit_action.${a}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('staff_date_from')}</span>
          <input
            type="date"
            value={filters.date_from}
            onChange={(e) => set('date_from', e.currentTarget.value)}
          />
        </label>
        <label>
          <span>{t('staff_date_to')}</span>
          <input
            type="date"
            value={filters.date_to}
            onChange={(e) => set('date_to', e.currentTarget.value)}
          />
        </label>
      </div>
      <ErrorNotice error={list.error} />
      <div class="staff-table-wrap">
        <table class="staff-table" aria-label={t('staff_audit_title')}>
          <thead>
            <tr>
              <th>{t('staff_at')}</th>
              <th>{t('staff_user')}</th>
              <th>{t('staff_action')}</th>
              <th>{t('staff_target')}</th>
              <th>{t('staff_details')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e, i) => (
              <tr key={e.id ?? i}>
                <td>{formatDateTime(e.at)}</td>
                <td>{e.user?.name}</td>
                <td>{t(`audit_action.${e.action}`)}</td>
                <td>
                  <AuditTarget entry={e} lookups={lookups} />
                </td>
                <td>{auditDetails(e.details, lookups)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} pages={pages} onPage={setPage} />
    </StaffPage>
  );
}

/**
 * What was looked at: the record's kind and its household (or nominee), a whole collection, the
 * campaign of a report, an exported file, or the person whose account an admin changed. A pull, the conflict inbox and one's own password
 * change name nothing more.
 * @param {{entry: any, lookups: import('./present.js').Lookups}} props
 */
function AuditTarget({ entry, lookups }) {
  if (['pull', 'conflicts', 'stranded', 'change_password'].includes(entry.action)) return null;
  const subject = entry.subject;
  const kind = (/** @type {string} */ c) => {
    const label = t(`staff_collection.${c}`);
    return label === `staff_collection.${c}` ? c : label;
  };
  if (subject) {
    return (
      <>
        {kind(subject.collection)}: {subject.label ?? subject.id}
      </>
    );
  }
  const target = String(entry.target ?? '');
  const report = /^reports\/campaign\/([^/.]+)(\.\w+)?$/.exec(target);
  if (report) return <>{(lookups.campaigns?.get(report[1]) ?? report[1]) + (report[2] ?? '')}</>;
  return <>{target.includes('/') ? target.split('/').pop() : kind(target)}</>;
}
