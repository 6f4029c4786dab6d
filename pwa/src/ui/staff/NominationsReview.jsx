/**
 * "Dân vận khéo" nominations proposed in the supervisor's neighbourhoods: endorse (approve) or
 * decline (reject, with a comment) with the same review endpoint as every record.
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { REVIEW_STATUSES } from '../../staff-api.js';
import { formatDateTime } from '../../text.js';
import { Link } from '../Link.jsx';
import {
  ErrorNotice,
  ReviewBadge,
  StaffPage,
  quartersOf,
  staff,
  useLookups,
  useRemote,
} from './common.jsx';
import { ReviewPanel } from './RecordPage.jsx';

/** @param {{user: any, path: string}} props */
export function NominationsReview({ user, path }) {
  const [review, setReview] = useState('');
  const [quarter, setQuarter] = useState('');
  const lookups = useLookups();
  const list = useRemote(
    () => staff.records({ collection: 'nominations', review, quarter, limit: 100 }),
    [review, quarter],
  );
  const rows = /** @type {any[]} */ (list.data?.records ?? []);
  return (
    <StaffPage user={user} path={path} title={t('staff_nominations_title')}>
      <div class="staff-filters">
        <label>
          <span>{t('quarter')}</span>
          <select value={quarter} onChange={(e) => setQuarter(e.currentTarget.value)}>
            <option value="">{t('filter_all')}</option>
            {quartersOf(user, lookups).map((q) => (
              <option key={q.id} value={q.id}>
                {q.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('staff_review_status')}</span>
          <select value={review} onChange={(e) => setReview(e.currentTarget.value)}>
            <option value="">{t('filter_all')}</option>
            {REVIEW_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`review.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error} />
      {list.data && rows.length === 0 && <p class="muted">{t('staff_no_nominations')}</p>}
      {rows.map((r) => (
        <article key={r.id} class="conflict-card">
          <h2>
            <Link href={`/review/nominations/${r.id}`}>{r.fields.nominee}</Link>
          </h2>
          <p class="badges">
            <span class="badge">{t(`nominee_kind.${r.fields.nominee_kind}`)}</span>
            <span class="badge">{t(`domain.${r.fields.domain}`)}</span>
            <span class="badge">{lookups.quarters.get(r.fields.quarter_id) ?? ''}</span>
            <ReviewBadge status={r.meta?.review?.status} />
          </p>
          <p class="notes">{r.fields.achievement}</p>
          <p class="muted">
            {r.meta?.created_by?.name} · {formatDateTime(r.meta?.created_at)}
            {r.fields.campaign_id ? ` · ${lookups.campaigns.get(r.fields.campaign_id) ?? ''}` : ''}
          </p>
          <ReviewPanel collection="nominations" record={r} onDone={list.reload} nominations />
        </article>
      ))}
    </StaffPage>
  );
}
