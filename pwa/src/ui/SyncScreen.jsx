/**
 * The sync screen: what waits, what the server refused (fix, discard, or send to an admin), the
 * changes handed to an admin and what became of them, conflicts, drafts of forms not saved yet,
 * storage. Its counts are the header's (both from `outboxCounts`).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, db, sync } from '../app.js';
import { getRecord } from '../bundles.js';
import { getMeta } from '../db.js';
import { listDrafts } from '../drafts.js';
import { t } from '../i18n.js';
import { discardOp, handToAdmin, outboxCounts } from '../outbox.js';
import { removePhoto, waitingPhotos } from '../photos.js';
import { fileSize, formatDateTime } from '../text.js';
import { errorText, refusal } from './errors.js';
import { navigate, useEngineStatus, useLive, useLookups } from './hooks.js';
import { Link } from './Link.jsx';
import { displayValue, fieldLabel, fieldSpec, inFormOrder } from './staff/present.js';
import { editPath } from './ToFix.jsx';

/** A photo with the record it is of, for its card. */
async function describePhoto(/** @type {import('../photos.js').Photo} */ photo) {
  const rec = await getRecord(db, photo.collection, photo.record);
  const hh = rec?.fields.household_id;
  const name = hh ? ((await db.records.get(['households', hh]))?.fields.head_name ?? '') : '';
  return { ...photo, title: `${t(`collection.${photo.collection}`)}${name ? ` – ${name}` : ''}` };
}

/** An op with the record it is about, for its card. */
async function describe(/** @type {import('../db.js').OutboxOp} */ op) {
  const rec = await getRecord(db, op.collection, op.id);
  const f = { ...(rec?.fields || {}), ...(op.fields || {}) };
  let name = f.head_name || f.nominee || '';
  if (!name && f.household_id)
    name = (await db.records.get(['households', f.household_id]))?.fields.head_name ?? '';
  return {
    ...op,
    title: `${t(`collection.${op.collection}`)}${name ? ` – ${name}` : ''}`,
    server: rec?.server?.fields ?? {},
  };
}

export function SyncScreen() {
  const status = useEngineStatus(sync);
  const lookups = useLookups();
  const ops =
    useLive(
      async () => Promise.all((await db.outbox.orderBy('seq').toArray()).map(describe)),
      [],
      [],
    ) ?? [];
  const stranded =
    useLive(
      async () =>
        /** @type {import('../db.js').StrandedChange[]} */ ((await getMeta(db, 'stranded')) ?? []),
      [],
      [],
    ) ?? [];
  const drafts = useLive(() => listDrafts(db), [], []) ?? [];
  const photos =
    useLive(
      async () => {
        const rows = [
          ...(await waitingPhotos(db)),
          ...(await db.photos.where('state').equals('refused').toArray()),
        ];
        return Promise.all(rows.map(describePhoto));
      },
      [],
      [],
    ) ?? [];
  const refusedPhotos = photos.filter((p) => p.state === 'refused');
  const photosWaiting = photos.filter((p) => p.state === 'waiting');
  const [storage, setStorage] = useState(
    /** @type {{usage?: number, quota?: number, persisted?: boolean}|null} */ (null),
  );
  const [handing, setHanding] = useState(/** @type {{seq: number, error: any}|null} */ (null));
  useEffect(() => {
    (async () => {
      const est = (await navigator.storage?.estimate?.()) ?? {};
      const persisted = await navigator.storage?.persisted?.();
      setStorage({ usage: est.usage, quota: est.quota, persisted });
    })();
  }, [ops.length]);

  const counts = outboxCounts(ops);
  const rejected = ops.filter((o) => o.state === 'rejected');
  const conflicts = ops.filter((o) => o.state === 'conflict');
  const waiting = ops.filter((o) => o.state === 'pending' || o.state === 'sending');
  const discard = async (/** @type {number} */ seq) => {
    if (confirm(t('confirm_discard'))) await discardOp(db, seq);
  };
  const sendToAdmin = async (/** @type {any} */ op) => {
    setHanding({ seq: op.seq, error: null });
    try {
      const answer = await api.escalate(op.op_id);
      await handToAdmin(db, op.seq, /** @type {any} */ (answer.state));
      setHanding(null);
      requestAnimationFrame(() => document.getElementById('stranded')?.focus());
    } catch (err) {
      setHanding({ seq: op.seq, error: err });
    }
  };
  const opKind = (/** @type {any} */ o) =>
    o.delete ? t('op_delete') : o.base_rev == null ? t('op_create') : t('op_edit');

  return (
    <main class="screen">
      <h1>{t('sync_title')}</h1>
      <section class="panel">
        <p>
          {status.lastSuccessAt
            ? t('last_sync', { at: formatDateTime(status.lastSuccessAt) })
            : t('never_synced')}
        </p>
        {status.running && (
          <p>{status.pulled ? t('syncing_n', { n: status.pulled }) : t('syncing')}</p>
        )}
        {status.lastError && !status.running && (
          <p class="notice warn">{t('last_error', { reason: errorText(status.lastError) })}</p>
        )}
        {status.retryAt && !status.running && (
          <p class="muted">
            {t('retry_at', { at: formatDateTime(new Date(status.retryAt).toISOString()) })}
          </p>
        )}
      </section>

      {rejected.length > 0 && (
        <section aria-label={t('needs_attention')}>
          <h2>{t('needs_attention_count', { n: counts.rejected })}</h2>
          <p class="muted">{t('needs_attention_help')}</p>
          <ul class="cards">
            {rejected.map((o) => (
              <li key={o.seq} class="card attention">
                <strong>
                  {opKind(o)} · {o.title}
                </strong>
                <span>{refusal(o)}</span>
                {o.code === 'validation' && o.errors && typeof o.errors === 'object' && (
                  <ul class="errors">
                    {inFormOrder(o.collection, Object.keys(o.errors)).map((field) => (
                      <li key={field}>
                        {fieldLabel(o.collection, field)}: {t('invalid_value')}
                      </li>
                    ))}
                  </ul>
                )}
                <span class="actions wrap">
                  {!o.delete && (
                    <button
                      type="button"
                      class="primary"
                      onClick={() => navigate(editPath(o.collection, o.id))}
                    >
                      {t('fix')}
                    </button>
                  )}
                  <button
                    type="button"
                    class="danger"
                    onClick={() => discard(/** @type {number} */ (o.seq))}
                  >
                    {t('discard')}
                  </button>
                  {o.code === 'forbidden' && (
                    <button
                      type="button"
                      class="secondary"
                      disabled={handing?.seq === o.seq && !handing.error}
                      onClick={() => sendToAdmin(o)}
                    >
                      {t('send_to_admin')}
                    </button>
                  )}
                </span>
                {handing?.seq === o.seq && handing.error && (
                  <p class="notice error" role="alert">
                    {t('send_to_admin_failed', { reason: errorText(handing.error) })}
                  </p>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}

      {stranded.length > 0 && (
        <section aria-label={t('stranded_title')} id="stranded" tabIndex={-1}>
          <h2>{t('stranded_title')}</h2>
          <ul class="cards">
            {stranded.map((s) => (
              <li key={s.op_id} class="card">
                <strong>
                  {t(`collection.${s.collection}`)}
                  {s.about?.name ? ` – ${s.about.name}` : ''}
                  {s.about?.quarter ? ` (${s.about.quarter})` : ''}
                </strong>
                <span class={`badge stranded-${s.state}`}>
                  {s.state === 'declined'
                    ? t('stranded_declined', { reason: s.reason ?? '' })
                    : t(`stranded_${s.state}`)}
                </span>
                {s.at && <span class="muted">{formatDateTime(s.at)}</span>}
              </li>
            ))}
          </ul>
        </section>
      )}

      {conflicts.length > 0 && (
        <section aria-label={t('conflicts_title')}>
          <h2>{t('conflicts_count', { n: counts.conflicts })}</h2>
          <p class="muted">{t('conflicts_help')}</p>
          <ul class="cards">
            {conflicts.map((o) => (
              <li key={o.seq} class="card">
                <strong>{o.title}</strong>
                <ul class="plain">
                  {inFormOrder(
                    o.collection,
                    Object.keys(o.fields || {}).filter(
                      (k) => JSON.stringify(o.fields?.[k]) !== JSON.stringify(o.server[k]),
                    ),
                  ).map((k) => (
                    <li key={k}>
                      {t('conflict_yours', {
                        field: fieldLabel(o.collection, k),
                        value: displayValue(fieldSpec(o.collection, k), o.fields?.[k], lookups),
                      })}
                    </li>
                  ))}
                </ul>
                <span class="badge conflict">{t('state_conflict')}</span>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-label={t('outbox')}>
        <h2>{t('outbox_count', { n: counts.waiting })}</h2>
        {waiting.length === 0 ? (
          <p class="muted">{t('outbox_empty')}</p>
        ) : (
          <ul class="cards">
            {waiting.map((o) => (
              <li key={o.seq} class="card">
                <strong>
                  {opKind(o)} · {o.title}
                </strong>
                <span class="muted">
                  {t(`state_${o.state}`)} · {formatDateTime(o.client_time)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      {refusedPhotos.length > 0 && (
        <section aria-label={t('photos_refused', { n: refusedPhotos.length })}>
          <h2>{t('photos_refused', { n: refusedPhotos.length })}</h2>
          <ul class="cards">
            {refusedPhotos.map((p) => (
              <li key={p.id} class="card attention">
                <strong>{p.title}</strong>
                <span>{p.message || p.code}</span>
                <span class="actions wrap">
                  <button
                    type="button"
                    class="danger"
                    onClick={async () => {
                      if (confirm(t('confirm_discard'))) await removePhoto(db, p.id);
                    }}
                  >
                    {t('discard')}
                  </button>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}

      {photosWaiting.length > 0 && (
        <section aria-label={t('photos_waiting', { n: photosWaiting.length })}>
          <h2>{t('photos_waiting', { n: photosWaiting.length })}</h2>
          <p class="muted">{t('photos_waiting_help')}</p>
          <ul class="cards">
            {photosWaiting.map((p) => {
              const percent = Math.floor((100 * p.sent) / p.size);
              return (
                <li key={p.id} class="card" data-photo={p.id}>
                  <span>{t('photo_progress', { title: p.title, percent })}</span>
                  <progress max={p.size} value={p.sent} aria-label={p.title} />
                  <span class="muted">{fileSize(p.size)}</span>
                </li>
              );
            })}
          </ul>
        </section>
      )}

      <section aria-label={t('drafts')}>
        <h2>{t('drafts')}</h2>
        {drafts.length === 0 ? (
          <p class="muted">{t('drafts_none')}</p>
        ) : (
          <>
            <p class="muted">{t('drafts_help')}</p>
            <ul class="cards">
              {drafts.map((d) => (
                <li key={d.key}>
                  <Link href={d.path} class="card">
                    <strong>
                      {t(`collection.${d.collection}`)}
                      {d.title ? ` – ${d.title}` : ''}
                    </strong>
                    <span class="muted">{t('draft_at', { at: formatDateTime(d.at) })}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section class="panel" aria-label={t('storage')}>
        <h2>{t('storage')}</h2>
        {storage?.quota ? (
          <p>
            {t('storage_used', {
              used: fileSize(storage.usage ?? 0),
              quota: fileSize(storage.quota),
            })}
          </p>
        ) : null}
        <p>{storage?.persisted ? t('storage_persistent') : t('storage_not_persistent')}</p>
      </section>
    </main>
  );
}
