/**
 * The sync screen: what waits, what the server refused (fix or discard), conflicts, drafts of
 * forms not saved yet, storage.
 */
import { useEffect, useState } from 'preact/hooks';
import { db, sync } from '../app.js';
import { t } from '../i18n.js';
import { listDrafts } from '../drafts.js';
import { discardOp } from '../outbox.js';
import { formatDateTime } from '../text.js';
import { navigate, useEngineStatus, useLive } from './hooks.js';
import { Link } from './Link.jsx';
import { editPath } from './ToFix.jsx';

/** @param {number} bytes */
function size(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

/** A short description of the record an op is about. */
async function describe(/** @type {import('../db.js').OutboxOp} */ op) {
  const rec = await db.records.get([op.collection, op.id]);
  const f = { ...(rec?.fields || {}), ...(op.fields || {}) };
  let name = f.head_name || f.nominee || '';
  if (!name && f.household_id)
    name = (await db.records.get(['households', f.household_id]))?.fields.head_name ?? '';
  return {
    ...op,
    title: `${t(`collection.${op.collection}`)}${name ? ` – ${name}` : ''}`,
    householdId: f.household_id ?? null,
  };
}

export function SyncScreen() {
  const status = useEngineStatus(sync);
  const ops =
    useLive(
      async () => Promise.all((await db.outbox.orderBy('seq').toArray()).map(describe)),
      [],
      [],
    ) ?? [];
  const drafts = useLive(() => listDrafts(db), [], []) ?? [];
  const [storage, setStorage] = useState(
    /** @type {{usage?: number, quota?: number}|null} */ (null),
  );
  useEffect(() => {
    (async () => {
      const est = (await navigator.storage?.estimate?.()) ?? {};
      setStorage({ usage: est.usage, quota: est.quota });
    })();
  }, [ops.length]);

  const rejected = ops.filter((o) => o.state === 'rejected');
  const conflicts = ops.filter((o) => o.state === 'conflict');
  const waiting = ops.filter((o) => o.state === 'pending' || o.state === 'sending');
  const discard = async (/** @type {number} */ seq) => {
    if (confirm(t('confirm_discard'))) await discardOp(db, seq);
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
          <p class="notice warn">
            {t('last_error', {
              reason:
                t(`code_${status.lastError.code}`) === `code_${status.lastError.code}`
                  ? status.lastError.message
                  : t(`code_${status.lastError.code}`),
            })}
          </p>
        )}
        {status.retryAt && !status.running && (
          <p class="muted">
            {t('retry_at', { at: formatDateTime(new Date(status.retryAt).toISOString()) })}
          </p>
        )}
      </section>

      {rejected.length > 0 && (
        <section aria-label={t('needs_attention')}>
          <h2>{t('needs_attention')}</h2>
          <p class="muted">{t('needs_attention_help')}</p>
          <ul class="cards">
            {rejected.map((o) => (
              <li key={o.seq} class="card attention">
                <strong>
                  {opKind(o)} · {o.title}
                </strong>
                <span>{t('server_said', { reason: t(`code_${o.code}`) })}</span>
                {o.errors && typeof o.errors === 'object' && (
                  <ul class="errors">
                    {Object.entries(o.errors).map(([field, msgs]) => (
                      <li key={field}>
                        {field}: {[].concat(/** @type {any} */ (msgs)).join(' ')}
                      </li>
                    ))}
                  </ul>
                )}
                <span class="actions">
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
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}

      {conflicts.length > 0 && (
        <section aria-label={t('conflicts_title')}>
          <h2>{t('conflicts_title')}</h2>
          <p class="muted">{t('conflicts_help')}</p>
          <ul class="cards">
            {conflicts.map((o) => (
              <li key={o.seq} class="card">
                <strong>{o.title}</strong>
                <span>
                  {Object.entries(o.fields || {})
                    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
                    .join(', ')}
                </span>
                <span class="badge conflict">{t('state_conflict')}</span>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-label={t('outbox')}>
        <h2>{t('outbox')}</h2>
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
          <p>{t('storage_used', { used: size(storage.usage ?? 0), quota: size(storage.quota) })}</p>
        ) : null}
      </section>
    </main>
  );
}
