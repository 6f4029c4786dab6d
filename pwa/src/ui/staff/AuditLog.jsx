/** The audit log (admin): who looked at personal data or exported, what, and when. */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { formatDateTime } from '../../text.js';
import { ErrorNotice, Pager, StaffPage, staff, useRemote } from './common.jsx';

const PAGE = 100;

/** @param {{user: any, path: string}} props */
export function AuditLog({ user, path }) {
  const [page, setPage] = useState(0);
  const list = useRemote(() => staff.audit({ limit: PAGE, offset: page * PAGE }), [page]);
  const entries = /** @type {any[]} */ (list.data?.entries ?? []);
  const pages = Math.max(1, Math.ceil((list.data?.total ?? 0) / PAGE));
  return (
    <StaffPage user={user} path={path} title={t('staff_audit_title')}>
      <ErrorNotice error={list.error} />
      <div class="staff-table-wrap">
        <table class="staff-table">
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
                <td>{t(`staff_audit.${e.action}`)}</td>
                <td>{e.target}</td>
                <td>
                  {e.details && Object.keys(e.details).length ? JSON.stringify(e.details) : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} pages={pages} onPage={setPage} />
    </StaffPage>
  );
}
