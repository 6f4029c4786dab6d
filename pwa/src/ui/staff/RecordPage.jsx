/**
 * One record for a supervisor or admin: every field in words, its household and related records,
 * the location on a map, the review (approve, has issues, reject) and the full history.
 */
import { useState } from 'preact/hooks';
import { db } from '../../app.js';
import { CHILD_COLLECTIONS } from '../../collections.js';
import { t } from '../../i18n.js';
import { householdChildren } from '../../queries.js';
import { formatDateTime } from '../../text.js';
import { useLive } from '../hooks.js';
import { Link } from '../Link.jsx';
import {
  ErrorNotice,
  ReviewBadge,
  StaffPage,
  errorText,
  staff,
  useHouseholdNames,
  useLookups,
  useRemote,
} from './common.jsx';
import { LocationMap } from './LocationMap.jsx';
import { PhotoThumbs, usePhotos } from './Photos.jsx';
import {
  displayValue,
  fieldLabel,
  fieldSpec,
  fieldSpecs,
  recordTitle,
  reviewBody,
} from './present.js';

/** @param {{user: any, path: string, collection: string, id: string}} props */
export function RecordPage({ user, path, collection, id }) {
  const found = useRemote(() => staff.history(collection, id), [collection, id]);
  const record = found.data?.record;
  const lookups = useLookups();
  const households = useHouseholdNames(record ? [record] : []);
  const all = { ...lookups, households };
  const photos = usePhotos(collection, [id]).get(id);

  return (
    <StaffPage
      user={user}
      path={path}
      title={record ? recordTitle(record, all) : t(`staff_collection.${collection}`)}
    >
      <p>
        <a href="#" class="back" onClick={(e) => (e.preventDefault(), history.back())}>
          ← {t('back')}
        </a>
      </p>
      <ErrorNotice error={found.error} />
      {found.loading && !record && <p class="muted">{t('staff_loading')}</p>}
      {record && (
        <div class="staff-record">
          <section class="panel">
            <p class="badges">
              <span class="badge">{t(`staff_collection.${collection}`)}</span>
              <ReviewBadge status={record.meta?.review?.status} />
              {record.deleted && <span class="badge flagged">{t('staff_deleted')}</span>}
              {record.meta?.open_conflicts > 0 && (
                <span class="badge conflict">{t('staff_has_conflict')}</span>
              )}
            </p>
            <dl class="facts">
              {fieldSpecs(collection)
                .filter((s) => s.kind !== 'location')
                .map((s) => (
                  <>
                    <dt key={`${s.name}-l`}>{fieldLabel(collection, s.name)}</dt>
                    <dd key={`${s.name}-v`}>
                      {s.name === 'household_id' && record.fields.household_id ? (
                        <Link href={`/review/households/${record.fields.household_id}`}>
                          {displayValue(s, record.fields[s.name], all)}
                        </Link>
                      ) : (
                        displayValue(s, record.fields[s.name], all)
                      )}
                    </dd>
                  </>
                ))}
              <dt>{t('staff_created')}</dt>
              <dd>
                {record.meta?.created_by?.name} · {formatDateTime(record.meta?.created_at)}
              </dd>
              <dt>{t('staff_updated')}</dt>
              <dd>
                {record.meta?.updated_by?.name} · {formatDateTime(record.meta?.updated_at)} ·{' '}
                {t('staff_rev', { rev: record.rev })}
              </dd>
            </dl>
            <PhotoThumbs photos={photos} />
            {record.fields.location && <LocationMap location={record.fields.location} />}
          </section>
          <ReviewPanel
            collection={collection}
            record={record}
            onDone={found.reload}
            nominations={collection === 'nominations'}
          />
          {collection === 'households' && <Related householdId={id} lookups={all} />}
          <History collection={collection} revisions={found.data?.revisions ?? []} lookups={all} />
        </div>
      )}
    </StaffPage>
  );
}

/**
 * The review: current status and comment; approve, flag with a comment, reject with a comment.
 * For nominations the words are endorse / decline.
 * @param {{collection: string, record: any, onDone: () => void, nominations?: boolean}} props
 */
export function ReviewPanel({ collection, record, onDone, nominations }) {
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {any} */ (null));
  const review = record.meta?.review ?? {};

  async function send(/** @type {'approved'|'has_issues'|'rejected'} */ status) {
    const made = reviewBody(status, comment);
    if (!made.ok) return setProblem(t(made.problem));
    setProblem('');
    setBusy(true);
    setError(null);
    try {
      await staff.review(collection, record.id, status, made.body.comment);
      setComment('');
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-label={t('review')}>
      <h2>{t('review')}</h2>
      <p>
        <ReviewBadge status={review.status} />{' '}
        {review.by && (
          <span class="muted">
            {review.by.name ?? ''} · {formatDateTime(review.at)}
          </span>
        )}
      </p>
      {review.comment && (
        <p class="notice">
          <strong>{t('review_comment')}:</strong> {review.comment}
        </p>
      )}
      <div class={`field${problem ? ' invalid' : ''}`}>
        <label for={`review-comment-${record.id}`}>{t('staff_comment')}</label>
        <textarea
          id={`review-comment-${record.id}`}
          rows={2}
          value={comment}
          aria-invalid={problem ? 'true' : undefined}
          onInput={(e) => setComment(e.currentTarget.value)}
        />
        {problem && <p class="field-error">{problem}</p>}
      </div>
      <div class="actions wrap">
        <button type="button" class="primary" disabled={busy} onClick={() => send('approved')}>
          {nominations ? t('staff_endorse') : t('staff_approve')}
        </button>
        {!nominations && (
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() => send('has_issues')}
          >
            {t('staff_flag')}
          </button>
        )}
        <button type="button" class="danger" disabled={busy} onClick={() => send('rejected')}>
          {nominations ? t('staff_decline') : t('staff_reject')}
        </button>
      </div>
      {error && (
        <p class="notice error" role="alert">
          {errorText(error)}
        </p>
      )}
    </section>
  );
}

/** The household's visits, registrations, support and assessments (synced to this device). */
function Related({ householdId, lookups }) {
  const children = useLive(() => householdChildren(db, householdId), [householdId]);
  return (
    <section class="panel">
      <h2>{t('staff_related')}</h2>
      {!children && <p class="muted">{t('staff_loading')}</p>}
      {children &&
        CHILD_COLLECTIONS.map((c) => (
          <div key={c}>
            <h3>
              {t(c)} ({children[c].length})
            </h3>
            {children[c].length === 0 ? (
              <p class="muted">{t('nothing_yet')}</p>
            ) : (
              <ul class="plain">
                {children[c].map((r) => (
                  <li key={r.id}>
                    <Link href={`/review/${c}/${r.id}`}>
                      {recordTitle({ collection: c, fields: r.fields }, lookups)}
                    </Link>{' '}
                    <ReviewBadge status={r.server?.meta?.review?.status} />
                  </li>
                ))}
              </ul>
            )}
          </div>
        ))}
    </section>
  );
}

/**
 * Each revision: who, which device, when, what kind, and every change from → to.
 * @param {{collection: string, revisions: any[], lookups: any}} props
 */
function History({ collection, revisions, lookups }) {
  return (
    <section class="panel">
      <h2>{t('staff_history')}</h2>
      <ol class="staff-history" reversed>
        {[...revisions].reverse().map((rev) => (
          <li key={rev.rev}>
            <p>
              <strong>
                {t('staff_rev', { rev: rev.rev })} · {t(`staff_kind.${rev.kind}`)}
              </strong>{' '}
              <span class="muted">
                {rev.by?.name ?? ''} · {formatDateTime(rev.at)}
                {rev.device_id ? ` · ${t('staff_device')}: ${rev.device_id}` : ''}
              </span>
            </p>
            {Object.keys(rev.changes ?? {}).length > 0 && (
              <table class="staff-table changes">
                <thead>
                  <tr>
                    <th>{t('staff_field')}</th>
                    <th>{t('staff_from')}</th>
                    <th>{t('staff_to')}</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(rev.changes).map(([name, ch]) => {
                    const spec = fieldSpec(collection, name);
                    const c = /** @type {any} */ (ch);
                    return (
                      <tr key={name}>
                        <td>{fieldLabel(collection, name)}</td>
                        <td>{rev.kind === 'create' ? '' : displayValue(spec, c.from, lookups)}</td>
                        <td>{displayValue(spec, c.to, lookups)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
