/**
 * The header on every screen: sync status (a role=status starting with "N waiting"), the flagged
 * records waiting for a fix ("N to fix") and Sync now.
 */
import { db, sync } from '../app.js';
import { t } from '../i18n.js';
import { outboxCounts } from '../outbox.js';
import { toFixCount } from '../queries.js';
import { navigate, useEngineStatus, useLive, useOnline } from './hooks.js';
import { Link } from './Link.jsx';
import { STAFF_PATH } from './staff/routes.jsx';

export function Header() {
  const status = useEngineStatus(sync);
  const online = useOnline();
  const counts = useLive(async () => outboxCounts(await db.outbox.toArray()), [], outboxCounts([]));
  const c = counts ?? { waiting: 0, rejected: 0, conflicts: 0 };
  const toFix = useLive(() => toFixCount(db), [], 0) ?? 0;
  const parts = [t('waiting', { n: c.waiting })];
  if (c.rejected) parts.push(t('needs_attention_n', { n: c.rejected }));
  if (c.conflicts) parts.push(t('conflicts_n', { n: c.conflicts }));
  if (status.running)
    parts.push(status.pulled ? t('syncing_n', { n: status.pulled }) : t('syncing'));
  else if (!online) parts.push(t('offline'));
  return (
    <header class="app-header">
      <Link href="/" class="brand">
        Doorstep
      </Link>
      <div
        role="status"
        aria-label={t('sync_status')}
        aria-live="polite"
        class={`sync-status${c.rejected ? ' attention' : ''}${!online ? ' offline' : ''}`}
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
        disabled={status.running}
        onClick={() => sync.syncNow()}
      >
        {t('sync_now')}
      </button>
    </header>
  );
}

/** Bottom navigation. Role-specific entries (review, admin; issue 4) slot in here. */
export function NavBar({ path, role = 'field' }) {
  const items = [
    ['/', t('nav_households')],
    ['/nominations', t('nav_nominations')],
    ['/deeds', t('nav_deeds')],
    ['/sync', t('nav_sync')],
    ['/settings', t('nav_settings')],
  ];
  const staff = role === 'supervisor' || role === 'admin'; // issue 4: their views, one entry
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
