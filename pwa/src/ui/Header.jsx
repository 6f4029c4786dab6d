/**
 * The header on every screen: sync status (a role=status starting with "N waiting"), the flagged
 * records waiting for a fix ("N to fix") and Sync now.
 */
import { db, sync } from '../app.js';
import { number, t } from '../i18n.js';
import { outboxCounts } from '../outbox.js';
import { toFixCount } from '../queries.js';
import { navigate, useEngineStatus, useLive, useOnline } from './hooks.js';
import { Link } from './Link.jsx';
import { STAFF_PATH } from './staff/routes.jsx';

export function Header() {
  const status = useEngineStatus(sync);
  const online = useOnline();
  // Undefined until the outbox has been read: the header never says "0 waiting" before it knows.
  const counts = useLive(async () => outboxCounts(await db.outbox.toArray()), [], undefined);
  const c = counts ?? { waiting: 0, rejected: 0, conflicts: 0 };
  const toFix = useLive(() => toFixCount(db), [], 0) ?? 0;
  const offline = !online || status.unreachable;
  const parts = [counts ? t('waiting', { n: c.waiting }) : t('counting_waiting')];
  if (c.rejected) parts.push(t('needs_attention_n', { n: c.rejected }));
  if (c.conflicts) parts.push(t('conflicts_n', { n: c.conflicts }));
  if (status.requests > 0) parts.push(syncingText(status));
  else if (offline) parts.push(t('offline'));
  return (
    <header class="app-header">
      <Link href="/" class="brand" aria-label={t('app_name')}>
        <img src="/favicon.svg" alt="" width={30} height={30} />
      </Link>
      <div
        role="status"
        aria-label={t('sync_status')}
        aria-live="polite"
        aria-busy={counts ? undefined : 'true'}
        class={`sync-status${c.rejected ? ' attention' : ''}${offline ? ' offline' : ''}`}
      >
        {parts.join(' · ')}
      </div>
      {toFix > 0 && (
        <button type="button" class="to-fix" onClick={() => navigate('/to-fix')}>
          {t('to_fix_n', { n: toFix })}
        </button>
      )}
      <button
        type="button"
        class="sync-now"
        aria-label={t('sync_now')}
        title={t('sync_now')}
        disabled={status.running}
        onClick={() => sync.syncNow()}
      >
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          <path
            fill="currentColor"
            d="M12 4V1L8 5l4 4V6a6 6 0 0 1 6 6 6 6 0 0 1-.7 2.8l1.5 1.5A8 8 0 0 0 20 12a8 8 0 0 0-8-8Zm0 14a6 6 0 0 1-6-6c0-1 .3-2 .7-2.8L5.2 7.7A8 8 0 0 0 4 12a8 8 0 0 0 8 8v3l4-4-4-4v3Z"
          />
        </svg>
      </button>
    </header>
  );
}

/**
 * "Syncing…", with how far a pull has got: "1.200 / about 9.800" when the server estimates
 * what remains (§5), else the count so far.
 * @param {import('../sync.js').SyncStatus} status
 */
export function syncingText(status) {
  if (status.total)
    return t('syncing_total', { n: number(status.pulled), total: number(status.total) });
  return status.pulled ? t('syncing_n', { n: number(status.pulled) }) : t('syncing');
}

/** Bottom navigation. Role-specific entries (review, admin) slot in here. */
export function NavBar({ path, role = 'field' }) {
  const items = [
    ['/', t('nav_households')],
    ['/nominations', t('nav_nominations')],
    ['/deeds', t('nav_deeds')],
    ['/sync', t('nav_sync')],
    ['/settings', t('nav_settings')],
  ];
  const staff = role === 'supervisor' || role === 'admin'; // their views, one entry
  if (staff) items.splice(3, 0, ['/review', t('nav_staff')]);
  return (
    <nav class="app-nav" aria-label={t('nav')}>
      {items.map(([href, label]) => (
        <Link
          key={href}
          href={href}
          class={
            (
              href === '/'
                ? path === '/' || path.startsWith('/households')
                : href === '/review'
                  ? STAFF_PATH.test(path)
                  : path.startsWith(href)
            )
              ? 'active'
              : ''
          }
        >
          {label}
        </Link>
      ))}
    </nav>
  );
}
