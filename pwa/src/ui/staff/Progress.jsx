/**
 * Review progress per neighbourhood: how many records are pending, edited, flagged, approved,
 * rejected (counted by the server, one `limit=1` query per cell).
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { REVIEW_COLLECTIONS, REVIEW_STATUSES } from '../../staff-api.js';
import { ErrorNotice, StaffPage, staff, useLookups, useRemote } from './common.jsx';
import { progressTable } from './present.js';

/** @param {{user: any, path: string}} props */
export function Progress({ user, path }) {
  const [collection, setCollection] = useState('households');
  const { quarterList } = useLookups();
  const quarters = quarterList.filter((q) => user.role === 'admin' || user.quarters.includes(q.id));
  const key = quarters.map((q) => q.id).join(',');
  const counts = useRemote(async () => {
    const cells = await Promise.all(
      quarters.flatMap((q) =>
        REVIEW_STATUSES.map(async (status) => ({
          quarter: q.id,
          status,
          n: await staff.count({ collection, quarter: q.id, review: status }),
        })),
      ),
    );
    return cells;
  }, [collection, key]);
  const table = progressTable(quarters, counts.data ?? []);
  return (
    <StaffPage user={user} path={path} title={t('staff_progress_title')}>
      <div class="staff-filters">
        <label>
          <span>{t('staff_collection')}</span>
          <select value={collection} onChange={(e) => setCollection(e.currentTarget.value)}>
            {REVIEW_COLLECTIONS.map((c) => (
              <option key={c} value={c}>
                {t(`staff_collection.${c}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={counts.error} />
      {counts.loading && <p class="muted">{t('staff_loading')}</p>}
      <div class="staff-table-wrap">
        <table class="staff-table" aria-label={t('staff_progress_title')}>
          <thead>
            <tr>
              <th>{t('quarter')}</th>
              {REVIEW_STATUSES.map((s) => (
                <th key={s} class="num">
                  {t(`review.${s}`)}
                </th>
              ))}
              <th class="num">{t('staff_total')}</th>
            </tr>
          </thead>
          <tbody>
            {table.rows.map((r) => (
              <tr key={r.id}>
                <th scope="row">{r.name}</th>
                {REVIEW_STATUSES.map((s) => (
                  <td key={s} class="num">
                    {counts.data ? r.counts[s] : '…'}
                  </td>
                ))}
                <td class="num">{counts.data ? r.total : '…'}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <td>{t('staff_sum')}</td>
              {REVIEW_STATUSES.map((s) => (
                <td key={s} class="num">
                  {counts.data ? table.sum.counts[s] : '…'}
                </td>
              ))}
              <td class="num">{counts.data ? table.sum.total : '…'}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </StaffPage>
  );
}
