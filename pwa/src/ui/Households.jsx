/** The household list (first screen) and a household's page. */
import { useState } from 'preact/hooks';
import { db, sync } from '../app.js';
import { CHILD_COLLECTIONS } from '../collections.js';
import { inCollection } from '../db.js';
import { number, t } from '../i18n.js';
import {
  findHouseholds,
  flaggedHouseholdIds,
  householdChildren,
  householdTexts,
  outboxByRecord,
  quartersInScope,
} from '../queries.js';
import { formatDate, formatDateTime, formatMoney } from '../text.js';
import { enumOptions } from './fields.jsx';
import { navigate, useEngineStatus, useLive, useLookups } from './hooks.js';
import { Link } from './Link.jsx';

// A phone shows about seven cards; 25 at a time keeps every keystroke of a search cheap to draw.
const PAGE = 25;

export function HouseholdList() {
  const [query, setQuery] = useState('');
  const [category, setCategory] = useState('');
  const [followUp, setFollowUp] = useState(false);
  const [flagged, setFlagged] = useState(false);
  const [shown, setShown] = useState(PAGE);
  const status = useEngineStatus(sync);
  const found = useLive(
    async () => ({
      ...(await findHouseholds(db, { query, category, followUp, flagged }, shown)),
      query,
    }),
    [query, category, followUp, flagged, shown],
  );
  const rows = found?.rows;
  // Until the rows for what is typed now are found, the previous ones are shown dimmed and busy.
  const stale = !!found && found.query !== query;
  const pending = useLive(() => outboxByRecord(db), [], new Map()) ?? new Map();
  const flaggedIds = useLive(() => flaggedHouseholdIds(db), [], new Set()) ?? new Set();
  // Names of every neighbourhood on the phone, not only the user's: a household moved in from
  // elsewhere still shows where it is.
  const names = useLookups().quarters;
  const quarterName = (/** @type {string} */ id) => names.get(id) ?? '';

  return (
    <main class="screen">
      <div class="title-row">
        <h1>{t('households')}</h1>
        <button type="button" class="primary" onClick={() => navigate('/households/new')}>
          {t('add_household')}
        </button>
      </div>
      {status.running && !status.lastSuccessAt && <FirstSync status={status} />}
      <div class="filters">
        <input
          type="search"
          aria-label={t('search')}
          placeholder={t('search')}
          value={query}
          onFocus={() => householdTexts(db)}
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setShown(PAGE);
          }}
        />
        <select
          aria-label={t('filter_category')}
          value={category}
          onChange={(e) => setCategory(e.currentTarget.value)}
        >
          <option value="">
            {t('filter_category')}: {t('filter_all')}
          </option>
          {enumOptions('category').map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        <label class="chip">
          <input
            type="checkbox"
            checked={followUp}
            onChange={(e) => setFollowUp(e.currentTarget.checked)}
          />
          {t('filter_follow_up')}
        </label>
        <label class="chip">
          <input
            type="checkbox"
            checked={flagged}
            onChange={(e) => setFlagged(e.currentTarget.checked)}
          />
          {t('filter_flagged')}
        </label>
      </div>
      {!found || !rows ? null : (
        <div
          class={`results${stale ? ' stale' : ''}`}
          aria-busy={stale ? 'true' : undefined}
          data-results-for={found.query}
        >
          {rows.length === 0 ? (
            <p class="muted" role="status">
              {found.query.trim()
                ? t('no_match', { query: found.query.trim() })
                : category || followUp || flagged
                  ? t('no_match_filters')
                  : status.running
                    ? t('first_sync')
                    : t('no_households')}
            </p>
          ) : (
            <>
              <p class="muted">{t('n_households', { n: found?.total ?? rows.length })}</p>
              <ul class="cards" aria-label={t('households')}>
                {rows.map((h) => {
                  const ops = pending.get(`households/${h.id}`) || [];
                  const review = h.server?.meta?.review?.status;
                  return (
                    <li key={h.id}>
                      <Link href={`/households/${h.id}`} class="card">
                        <strong>{h.fields.head_name}</strong>
                        <span>{h.fields.address}</span>
                        <span class="muted">
                          {quarterName(h.q)}
                          {h.fields.phone ? ` · ${h.fields.phone}` : ''}
                        </span>
                        <span class="badges">
                          {ops.some((o) => o.state !== 'conflict') && (
                            <span class="badge pending">{t('pending_badge')}</span>
                          )}
                          {ops.some((o) => o.state === 'conflict') && (
                            <span class="badge conflict">{t('state_conflict')}</span>
                          )}
                          {review === 'has_issues' || review === 'rejected' ? (
                            <span class="badge flagged">{t(`review.${review}`)}</span>
                          ) : (
                            flaggedIds.has(h.id) && (
                              <span class="badge flagged">{t('household_flagged')}</span>
                            )
                          )}
                        </span>
                      </Link>
                    </li>
                  );
                })}
              </ul>
              {(found?.total ?? 0) > rows.length && (
                <button type="button" class="secondary wide" onClick={() => setShown(shown + PAGE)}>
                  {t('show_more')}
                </button>
              )}
            </>
          )}
        </div>
      )}
    </main>
  );
}

/**
 * How far the first download has got: "1.200 / about 9.800" and a bar, when the server estimates
 * what remains (§5 `remaining`); the count so far otherwise.
 * @param {{status: import('../sync.js').SyncStatus}} props
 */
function FirstSync({ status }) {
  return (
    <div class="notice info first-sync" role="status" aria-label={t('first_sync')}>
      <span>{t('first_sync')}</span>
      {status.pulled > 0 && (
        <span class="first-sync-count">
          {status.total
            ? t('first_sync_progress', { n: number(status.pulled), total: number(status.total) })
            : number(status.pulled)}
        </span>
      )}
      {status.total ? (
        <progress max={status.total} value={status.pulled} aria-label={t('first_sync_bar')} />
      ) : null}
    </div>
  );
}

/**
 * A notice for a record's outbox ops: unsent, refused by the server, or waiting for an admin.
 * @param {{ops: import('../db.js').OutboxOp[]}} props
 */
export function OpNotices({ ops }) {
  const rejected = ops.find((o) => o.state === 'rejected');
  const conflict = ops.find((o) => o.state === 'conflict');
  const pending = ops.some((o) => o.state === 'pending' || o.state === 'sending');
  return (
    <>
      {pending && <span class="badge pending">{t('pending_badge')}</span>}
      {rejected && (
        <span class="badge flagged">
          {t('state_rejected')}: {t(`code_${rejected.code}`)}
        </span>
      )}
      {conflict && <span class="badge conflict">{t('waiting_admin')}</span>}
    </>
  );
}

/** @param {{id: string, user: any}} props */
export function HouseholdPage({ id, user }) {
  const h = useLive(() => db.records.get(['households', id]).then((r) => r ?? null), [id]);
  const children = useLive(() => householdChildren(db, id), [id]);
  const pending = useLive(() => outboxByRecord(db), [], new Map()) ?? new Map();
  const quarters =
    useLive(() => quartersInScope(db, { role: 'admin', quarters: [] }), [], []) ?? [];
  const campaigns = useLive(() => inCollection(db, 'campaigns').toArray(), [], []) ?? [];
  if (h === undefined) return null;
  if (h === null || h.localDelete)
    return (
      <main class="screen">
        <p class="notice">{t('not_found')}</p>
        <Link href="/">{t('back')}</Link>
      </main>
    );
  const f = h.fields;
  const review = h.server?.meta?.review;
  const ops = pending.get(`households/${id}`) || [];
  const campaignName = (/** @type {string|null} */ cid) =>
    campaigns.find((c) => c.id === cid)?.fields.name ?? '';
  const go = (/** @type {string} */ c) => navigate(`/households/${id}/${c}/new`);
  return (
    <main class="screen">
      <Link href="/" class="back">
        ← {t('back')}
      </Link>
      <h1>{f.head_name}</h1>
      <p class="badges">
        <OpNotices ops={ops} />
        {review && (
          <span class={`badge review-${review.status}`}>{t(`review.${review.status}`)}</span>
        )}
      </p>
      {review?.comment && (
        <p class="notice warn">
          <strong>{t('review_comment')}:</strong> {review.comment}
        </p>
      )}
      <dl class="facts">
        <dt>{t('address')}</dt>
        <dd>{f.address}</dd>
        <dt>{t('quarter')}</dt>
        <dd>{quarters.find((q) => q.id === f.quarter_id)?.name ?? ''}</dd>
        {f.phone && (
          <>
            <dt>{t('phone')}</dt>
            <dd>
              <a href={`tel:${f.phone}`}>{f.phone}</a>
            </dd>
          </>
        )}
        <dt>{t('members')}</dt>
        <dd>{f.members_count}</dd>
        {f.categories?.length > 0 && (
          <>
            <dt>{t('categories')}</dt>
            <dd>{f.categories.map((c) => t(`category.${c}`)).join(', ')}</dd>
          </>
        )}
        {f.notes && (
          <>
            <dt>{t('notes')}</dt>
            <dd class="notes">{f.notes}</dd>
          </>
        )}
      </dl>
      <div class="actions wrap">
        <button type="button" class="primary" onClick={() => go('visits')}>
          {t('log_visit')}
        </button>
        <button type="button" class="primary" onClick={() => go('registrations')}>
          {t('add_registration')}
        </button>
        <button type="button" class="secondary" onClick={() => go('support')}>
          {t('add_support')}
        </button>
        <button type="button" class="secondary" onClick={() => go('assessments')}>
          {t('add_assessment')}
        </button>
        <button type="button" class="secondary" onClick={() => navigate(`/households/${id}/edit`)}>
          {t('edit')}
        </button>
      </div>
      {children &&
        CHILD_COLLECTIONS.map((c) => (
          <section key={c} aria-label={t(c)}>
            <h2>{t(c)}</h2>
            {children[c].length === 0 ? (
              <p class="muted">{t('nothing_yet')}</p>
            ) : (
              <ul class="cards">
                {children[c].map((r) => (
                  <li key={r.id}>
                    <Link href={`/records/${c}/${r.id}/edit`} class="card">
                      <ChildSummary collection={c} fields={r.fields} campaignName={campaignName} />
                      <span class="badges">
                        <OpNotices ops={pending.get(`${c}/${r.id}`) || []} />
                        {r.server?.meta?.review?.status &&
                          r.server.meta.review.status !== 'pending' && (
                            <span class={`badge review-${r.server.meta.review.status}`}>
                              {t(`review.${r.server.meta.review.status}`)}
                            </span>
                          )}
                      </span>
                      {r.server?.meta?.review?.comment && (
                        <span class="muted">{r.server.meta.review.comment}</span>
                      )}
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </section>
        ))}
    </main>
  );
}

/**
 * One line about a child record, in words.
 * @param {{collection: string, fields: any, campaignName: (id: string|null) => string}} props
 */
function ChildSummary({ collection, fields: f, campaignName }) {
  const campaign = f.campaign_id ? campaignName(f.campaign_id) : '';
  switch (collection) {
    case 'visits':
      return (
        <>
          <strong>
            {formatDateTime(f.visited_at)} · {t(`purpose.${f.purpose}`)}
          </strong>
          {f.follow_up_needed && <span class="badge flagged">{t('follow_up_needed')}</span>}
          {campaign && <span class="muted">{campaign}</span>}
          {f.notes && <span class="notes">{f.notes}</span>}
        </>
      );
    case 'registrations':
      return (
        <>
          <strong>
            {t(`registration_kind.${f.kind}`)} · {t(`registration_status.${f.status}`)}
          </strong>
          <span class="muted">
            {formatDate(f.registered_on)}
            {f.persons ? ` · ${t('persons')}: ${f.persons}` : ''}
          </span>
          {f.notes && <span class="notes">{f.notes}</span>}
        </>
      );
    case 'support':
      return (
        <>
          <strong>
            {t(`support_kind.${f.kind}`)} · {formatMoney(f.value_vnd)}
          </strong>
          <span class="muted">
            {formatDate(f.given_on)}
            {f.sponsor ? ` · ${f.sponsor}` : ''}
          </span>
          {f.notes && <span class="notes">{f.notes}</span>}
        </>
      );
    case 'assessments':
      return (
        <>
          <strong>
            {f.year} · {t(`assessment_result.${f.result}`)}
          </strong>
          {f.criteria_met?.length > 0 && <span class="muted">{f.criteria_met.join(', ')}</span>}
          {f.notes && <span class="notes">{f.notes}</span>}
        </>
      );
    default:
      return null;
  }
}
