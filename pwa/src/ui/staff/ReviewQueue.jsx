/**
 * The supervisor's review queue: records of their neighbourhoods, newest first, filtered by
 * collection, neighbourhood, review status, date and staff member, searched ignoring diacritics
 * (by the server), a page at a time; approve one by one or in bulk (after confirming the count),
 * and undo the last bulk approval.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { REVIEW_COLLECTIONS, REVIEW_STATUSES } from '../../staff-api.js';
import { formatDateTime } from '../../text.js';
import { Dialog } from '../Dialog.jsx';
import { Link } from '../Link.jsx';
import {
  ErrorNotice,
  Pager,
  ReviewBadge,
  StaffPage,
  errorText,
  quartersOf,
  staff,
  useHouseholdNames,
  useLookups,
  useRemote,
} from './common.jsx';
import { FILTER_KEYS, filtersFromSearch, recordQuery } from './filters.js';
import { PhotoThumbs, usePhotos } from './Photos.jsx';
import { householdLine, recordTitle } from './present.js';

export const PAGE_SIZE = 50;
/** @param {{user: any, path: string}} props */
export function ReviewQueue({ user, path }) {
  const initial = useMemo(() => filtersFromSearch(location.search), []);
  const [filters, setFilters] = useState(initial.filters);
  const [page, setPage] = useState(initial.page);
  const [search, setSearch] = useState(initial.filters.q ?? '');
  const [selected, setSelected] = useState(/** @type {Set<string>} */ (new Set()));
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [bulk, setBulk] = useState(
    /** @type {{kind: 'approved'|'undone', done: number, total: number, skipped: number, batchId?: string}|null} */ (
      null
    ),
  );
  const [bulkError, setBulkError] = useState(/** @type {any} */ (null));
  const outcome = useRef(/** @type {HTMLDivElement|null} */ (null));
  const [staffSeen, setStaffSeen] = useState(/** @type {Map<string, string>} */ (new Map()));
  const lookups = useLookups();

  // Typing waits a moment before asking the server.
  useEffect(() => {
    const timer = setTimeout(() => {
      if ((filters.q ?? '') !== search.trim()) {
        setFilters((f) => ({ ...f, q: search.trim() }));
        setPage(0);
      }
    }, 300);
    return () => clearTimeout(timer);
  }, [search]);

  useEffect(() => {
    const p = new URLSearchParams();
    for (const k of FILTER_KEYS) if (filters[k]) p.set(k, filters[k]);
    if (page) p.set('page', String(page));
    history.replaceState(null, '', `${location.pathname}?${p}`);
    setSelected(new Set());
  }, [filters, page]);

  const list = useRemote(
    () => staff.records({ ...recordQuery(filters), limit: PAGE_SIZE, offset: page * PAGE_SIZE }),
    [JSON.stringify(filters), page],
  );
  const records = /** @type {any[]} */ (list.data?.records ?? []);
  const total = list.data?.total ?? 0;
  const households = useHouseholdNames(records);
  const photos = usePhotos(
    filters.collection ?? '',
    records.map((r) => r.id),
  );

  useEffect(() => {
    if (!records.length) return;
    setStaffSeen((seen) => {
      const next = new Map(seen);
      for (const r of records)
        if (r.meta?.created_by?.id) next.set(r.meta.created_by.id, r.meta.created_by.name);
      return next.size === seen.size ? seen : next;
    });
  }, [list.data]);

  // After a bulk approval or its undo, the button that asked is disabled or gone: the keyboard
  // and a screen reader go on from what it did (with Undo next to it), not from the page's top.
  useEffect(() => {
    if (bulk) outcome.current?.focus();
  }, [bulk]);

  const set = (/** @type {string} */ key, /** @type {string} */ value) => {
    setFilters((f) => ({ ...f, [key]: value }));
    setPage(0);
  };

  const approvable = records.filter((r) => r.meta?.review?.status !== 'approved');
  const allChecked = approvable.length > 0 && approvable.every((r) => selected.has(r.id));

  /**
   * Send one bulk request, then show its outcome and reload the list.
   * @param {() => Promise<{batch_id: string, results: any[]}>} call
   * @param {'approved'|'undone'} kind
   */
  async function run(call, kind) {
    setBusy(true);
    setBulkError(null);
    try {
      const { batch_id: batchId, results } = await call();
      const done = results.filter((r) => r.status !== 'skipped').length;
      setBulk({ kind, done, total: results.length, skipped: results.length - done, batchId });
      setSelected(new Set());
      list.reload();
    } catch (err) {
      setBulkError(err);
    } finally {
      setBusy(false);
    }
  }

  function approveSelected() {
    setConfirming(false);
    const ids = records.filter((r) => selected.has(r.id)).map((r) => r.id);
    run(() => staff.reviewMany(filters.collection, ids, 'approved', null), 'approved');
  }

  function undoLast() {
    const batchId = /** @type {string} */ (bulk?.batchId);
    run(() => staff.undoReviews(batchId), 'undone');
  }

  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const staffOptions = [...staffSeen.entries()].sort((a, b) => a[1].localeCompare(b[1], 'vi'));

  return (
    <StaffPage user={user} path={path} title={t('staff_review_title')}>
      <form class="filters staff-filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>{t('staff_collection')}</span>
          <select
            value={filters.collection}
            onChange={(e) => set('collection', e.currentTarget.value)}
          >
            {REVIEW_COLLECTIONS.map((c) => (
              <option key={c} value={c}>
                {t(`staff_collection.${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('quarter')}</span>
          <select
            value={filters.quarter ?? ''}
            onChange={(e) => set('quarter', e.currentTarget.value)}
          >
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
          <select value={filters.review} onChange={(e) => set('review', e.currentTarget.value)}>
            <option value="all">{t('filter_all')}</option>
            {REVIEW_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`review.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('staff_member')}</span>
          <select
            value={filters.created_by ?? ''}
            onChange={(e) => set('created_by', e.currentTarget.value)}
          >
            <option value="">{t('filter_all')}</option>
            {staffOptions.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('staff_date_from')}</span>
          <input
            type="date"
            value={filters.date_from ?? ''}
            onChange={(e) => set('date_from', e.currentTarget.value)}
          />
        </label>
        <label>
          <span>{t('staff_date_to')}</span>
          <input
            type="date"
            value={filters.date_to ?? ''}
            onChange={(e) => set('date_to', e.currentTarget.value)}
          />
        </label>
        <label class="wide">
          <span>{t('staff_search')}</span>
          <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
      </form>

      <div class="staff-toolbar">
        <span role="status" aria-label={t('staff_result_count')}>
          {list.loading && !list.data ? t('staff_loading') : t('staff_n_records', { n: total })}
        </span>
        <label class="chip">
          <input
            type="checkbox"
            checked={allChecked}
            disabled={!approvable.length}
            onChange={(e) =>
              setSelected(
                e.currentTarget.checked ? new Set(approvable.map((r) => r.id)) : new Set(),
              )
            }
          />
          {t('staff_select_page')}
        </label>
        <button
          type="button"
          class="primary"
          disabled={!selected.size || busy}
          onClick={() => setConfirming(true)}
        >
          {t('staff_approve_selected', { n: selected.size })}
        </button>
      </div>
      {confirming && (
        <ConfirmBulk
          n={selected.size}
          onConfirm={approveSelected}
          onCancel={() => setConfirming(false)}
        />
      )}
      {bulk && (
        <div
          ref={outcome}
          class={`notice${bulk.skipped ? ' warn' : ''} bulk-outcome`}
          role="status"
          tabIndex={-1}
        >
          <span>
            {bulk.kind === 'approved'
              ? t('staff_bulk_progress', { done: bulk.done, total: bulk.total })
              : t('staff_undone', { n: bulk.done })}
            {bulk.skipped > 0 &&
              ` · ${t(bulk.kind === 'approved' ? 'staff_bulk_skipped' : 'staff_undo_skipped', { n: bulk.skipped })}`}
          </span>
          {bulk.kind === 'approved' && bulk.done > 0 && (
            <button type="button" class="secondary" disabled={busy} onClick={undoLast}>
              {t('staff_undo')}
            </button>
          )}
        </div>
      )}
      <ErrorNotice error={bulkError} />
      <ErrorNotice error={list.error} />

      <ul class="cards staff-list" aria-label={t('staff_review_title')}>
        {records.map((r) => {
          const status = r.meta?.review?.status;
          return (
            <li key={r.id} class="staff-row">
              <input
                type="checkbox"
                aria-label={t('staff_select', { name: recordTitle(r) })}
                checked={selected.has(r.id)}
                disabled={status === 'approved'}
                onChange={(e) => {
                  const next = new Set(selected);
                  if (e.currentTarget.checked) next.add(r.id);
                  else next.delete(r.id);
                  setSelected(next);
                }}
              />
              <Link href={`/review/${r.collection}/${r.id}`} class="card">
                <strong>{recordTitle(r, lookups)}</strong>
                {r.collection !== 'households' && householdLine(r, { households }) && (
                  <span>{householdLine(r, { households })}</span>
                )}
                <span class="muted">
                  {lookups.quarters.get(r.meta?.quarter_id) ?? ''} ·{' '}
                  {r.meta?.created_by?.name ?? ''} · {formatDateTime(r.meta?.updated_at)}
                </span>
                <span class="badges">
                  <ReviewBadge status={status} />
                  {r.meta?.open_conflicts > 0 && (
                    <span class="badge conflict">{t('staff_has_conflict')}</span>
                  )}
                  {r.deleted && <span class="badge">{t('staff_deleted')}</span>}
                </span>
                {r.meta?.review?.comment && <span class="muted">“{r.meta.review.comment}”</span>}
              </Link>
              <PhotoThumbs photos={photos.get(r.id)} />
            </li>
          );
        })}
      </ul>
      {list.data && records.length === 0 && <p class="muted">{t('staff_no_records')}</p>}
      <Pager page={page} pages={pages} onPage={setPage} />
    </StaffPage>
  );
}

/**
 * "Approve 3 records?" as a modal dialog: the count, what happens, Approve or Cancel.
 * @param {{n: number, onConfirm: () => void, onCancel: () => void}} props
 */
function ConfirmBulk({ n, onConfirm, onCancel }) {
  return (
    <Dialog class="confirm" title={t('staff_confirm_bulk_title', { n })} onClose={onCancel}>
      <p>{t('staff_confirm_bulk_help')}</p>
      <div class="actions">
        <button type="button" class="primary" onClick={onConfirm}>
          {t('staff_confirm_bulk_yes', { n })}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </Dialog>
  );
}
