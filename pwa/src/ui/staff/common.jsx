/**
 * What the supervisor and admin views share: the staff calls, loading from the server with a
 * plain "needs a connection" when offline, the names of reference data, the views' tab bar.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, db } from '../../app.js';
import { t } from '../../i18n.js';
import { createStaffApi } from '../../staff-api.js';
import { errorText as codeText, fieldName } from '../errors.js';
import { useLive, useOnline } from '../hooks.js';

export { useLookups } from '../hooks.js';
import { Link } from '../Link.jsx';
import './staff.css';

export const staff = createStaffApi(api);

/** The staff views, in tab order, with who may open them. */
export const STAFF_VIEWS = [
  { href: '/review', label: 'staff_nav_review', roles: ['supervisor', 'admin'] },
  { href: '/progress', label: 'staff_nav_progress', roles: ['supervisor', 'admin'] },
  { href: '/review-nominations', label: 'staff_nav_nominations', roles: ['supervisor', 'admin'] },
  { href: '/dashboard', label: 'staff_nav_dashboard', roles: ['supervisor', 'admin'] },
  { href: '/map', label: 'staff_nav_map', roles: ['supervisor', 'admin'] },
  { href: '/conflicts', label: 'staff_nav_conflicts', roles: ['admin'] },
  { href: '/stranded', label: 'staff_nav_stranded', roles: ['admin'] },
  { href: '/users', label: 'staff_nav_users', roles: ['admin'] },
  { href: '/reference', label: 'staff_nav_reference', roles: ['admin'] },
  { href: '/audit', label: 'staff_nav_audit', roles: ['admin'] },
  { href: '/import', label: 'staff_nav_import', roles: ['admin'] },
];

/** The tabs across the top of every staff view. @param {{role: string, path: string}} props */
export function StaffNav({ role, path }) {
  const nav = useRef(/** @type {HTMLElement|null} */ (null));
  // On a phone the tabs scroll sideways: bring the current one into view.
  useEffect(() => {
    nav.current?.querySelector('a.active')?.scrollIntoView({ block: 'nearest', inline: 'center' });
  }, [path]);
  return (
    <nav ref={nav} class="staff-tabs" aria-label={t('staff_nav')}>
      {STAFF_VIEWS.filter((v) => v.roles.includes(role)).map((v) => (
        <Link
          key={v.href}
          href={v.href}
          class={path === v.href || path.startsWith(`${v.href}/`) ? 'active' : ''}
        >
          {t(v.label)}
        </Link>
      ))}
    </nav>
  );
}

/**
 * Give every cell of the staff tables under `root` its column's title (`data-label`): on a phone
 * the tables become cards, and each value is shown beside its title (staff.css).
 * @param {HTMLElement} root
 */
function labelCells(root) {
  for (const table of root.querySelectorAll('table.staff-table')) {
    const titles = [...(table.tHead?.rows[0]?.cells ?? [])].map((c) => c.textContent?.trim() ?? '');
    if (!titles.length) continue;
    for (const section of [...table.tBodies, table.tFoot])
      for (const row of section?.rows ?? [])
        [...row.cells].forEach((cell, i) => {
          if (cell.tagName === 'TD' && titles[i] && cell.dataset.label !== titles[i])
            cell.dataset.label = titles[i];
        });
  }
}

/** A page of the staff views: tabs, title, and the content only when online. */
export function StaffPage(
  /** @type {{user: any, path: string, title: string, actions?: any, children?: any}} */ props,
) {
  const online = useOnline();
  const main = useRef(/** @type {HTMLElement|null} */ (null));
  // Whatever a view renders into its tables, and whenever, the cells get their column's title.
  useEffect(() => {
    const root = main.current;
    if (!root) return undefined;
    labelCells(root);
    const watch = new MutationObserver(() => labelCells(root));
    watch.observe(root, { childList: true, subtree: true, characterData: true });
    return () => watch.disconnect();
  }, []);
  return (
    <main ref={main} class="screen staff">
      <StaffNav role={props.user.role} path={props.path} />
      <div class="title-row">
        <h1>{props.title}</h1>
        {online && props.actions}
      </div>
      {online ? props.children : <NeedsConnection />}
    </main>
  );
}

export function NeedsConnection() {
  return (
    <p class="notice warn" role="alert">
      <strong>{t('staff_needs_connection')}</strong> {t('staff_needs_connection_help')}
    </p>
  );
}

/**
 * What went wrong with a staff call, in words (the catalogue's, by code; invalid fields by label).
 * @param {any} error
 */
export function errorText(error) {
  if (!error) return '';
  if (error.status === 0) return t('staff_needs_connection');
  if (error.status === 401) return t('sign_in_again');
  if (error.status === 403) return t('staff_forbidden');
  if (error.status === 404) return t('staff_not_found');
  const details = error.details && typeof error.details === 'object' ? error.details : null;
  const fields = details
    ? Object.entries(details)
        .filter(([, v]) => Array.isArray(v))
        .map(([k]) => fieldName(k))
    : [];
  const reason = codeText(error);
  return t('server_said', {
    reason: fields.length ? `${reason} (${fields.join(', ')})` : reason,
  });
}

/** @param {{error: any}} props */
export function ErrorNotice({ error }) {
  if (!error) return null;
  return (
    <p class={`notice ${error.status === 0 ? 'warn' : 'error'}`} role="alert">
      {errorText(error)}
    </p>
  );
}

/**
 * Load something from the server; reloads when `deps` change or on `reload()`.
 * @template T
 * @param {() => Promise<T>} load
 * @param {any[]} deps
 * @returns {{data: T|undefined, error: any, loading: boolean, reload: () => void}}
 */
export function useRemote(load, deps) {
  const [state, setState] = useState(
    /** @type {{data: T|undefined, error: any, loading: boolean}} */ ({
      data: undefined,
      error: null,
      loading: true,
    }),
  );
  const [tick, setTick] = useState(0);
  const online = useOnline();
  useEffect(() => {
    if (!online) return undefined;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick, online]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/**
 * Names of the households these records belong to, from this device's synced data.
 * @param {{fields: Record<string, any>}[]} records
 */
export function useHouseholdNames(records) {
  const ids = [...new Set(records.map((r) => r.fields?.household_id).filter(Boolean))];
  const key = ids.join(',');
  return (
    useLive(async () => {
      const rows = await db.records.bulkGet(ids.map((id) => ['households', id]));
      return new Map(
        rows
          .filter(Boolean)
          .map((r) => [
            /** @type {any} */ (r).id,
            `${/** @type {any} */ (r).fields.head_name} – ${/** @type {any} */ (r).fields.address}`,
          ]),
      );
    }, [key]) ?? new Map()
  );
}

/** A review status as a coloured word. @param {{status?: string|null}} props */
/**
 * The neighbourhoods a user may see: every one for an admin, else their own.
 * @param {{role: string, quarters: string[]}} user
 * @param {{quarterList: {id: string, name: string, code: string}[]}} lookups
 */
export function quartersOf(user, lookups) {
  return lookups.quarterList.filter((q) => user.role === 'admin' || user.quarters.includes(q.id));
}

/**
 * "Previous · page N of M · Next" under a paged list.
 * @param {{page: number, pages: number, onPage: (page: number) => void}} props
 */
export function Pager({ page, pages, onPage }) {
  return (
    <div class="pager">
      <button type="button" disabled={page === 0} onClick={() => onPage(page - 1)}>
        {t('staff_prev')}
      </button>
      <span>{t('staff_page', { page: page + 1, pages })}</span>
      <button type="button" disabled={page + 1 >= pages} onClick={() => onPage(page + 1)}>
        {t('staff_next')}
      </button>
    </div>
  );
}

export function ReviewBadge({ status }) {
  if (!status) return null;
  return <span class={`badge review-${status}`}>{t(`review.${status}`)}</span>;
}

/**
 * Hand a downloaded file to the browser to save.
 * @param {Blob} blob
 * @param {string} filename
 */
export function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The campaign a view is about: the one chosen, else the active one (else the newest).
 * @param {{campaignList: {id: string, active?: boolean}[]}} lookups
 * @returns {[string, (id: string) => void]}
 */
export function useCampaign(lookups) {
  const [chosen, setChosen] = useState('');
  const campaigns = lookups.campaignList;
  return [chosen || (campaigns.find((c) => c.active) ?? campaigns[0])?.id || '', setChosen];
}

/**
 * The campaign select of the dashboard and the map.
 * @param {{lookups: {campaignList: {id: string, name: string}[]}, value: string, onChange: (id: string) => void}} props
 */
export function CampaignChoice({ lookups, value, onChange }) {
  return (
    <label>
      <span>{t('staff_campaign')}</span>
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {lookups.campaignList.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Credit for map tiles: OpenStreetMap's own wording for its servers, else the server's host.
 * @param {string} template
 */
export function tileAttribution(template) {
  const host = new URL(template.replace(/{[^}]*}/g, 'a')).hostname;
  return host.endsWith('openstreetmap.org') ? '© OpenStreetMap' : host;
}
