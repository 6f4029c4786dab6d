/**
 * The overview map: the households of the reader's neighbourhoods that have a location, each a
 * dot coloured by its state in the campaign (visited / not yet / flagged, as the server's report
 * counts them), clustered when they crowd (a cluster shows its mix of states); a click, or Enter on
 * a focused dot, opens the household. Tiles come from the server's `DOORSTEP_MAP_TILES`: with none
 * set, or when they fail to load, the dots are still drawn on a blank map.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { navigate } from '../hooks.js';
import {
  CampaignChoice,
  ErrorNotice,
  StaffPage,
  quartersOf,
  staff,
  tileAttribution,
  useCampaign,
  useLookups,
  useRemote,
} from './common.jsx';

/** The states a household can be in, in the legend's order. */
const POINT_STATES = /** @type {const} */ (['visited', 'not_visited', 'flagged']);

/**
 * @typedef {{id: string, quarter_id: string|null, head_name: string, address: string,
 *   lat: number, lon: number, state: 'visited'|'not_visited'|'flagged'}} Point
 */

/** @param {{user: any, path: string}} props */
export function CampaignMap({ user, path }) {
  const lookups = useLookups();
  const [campaignId, setCampaign] = useCampaign(lookups);
  const [quarter, setQuarter] = useState('');
  // What is asked now; the answer says what it answers, so that the previous campaign's or
  // neighbourhood's households are never shown as the current ones while the next are loading.
  const asked = `${campaignId}/${quarter}`;
  const found = useRemote(
    () =>
      campaignId
        ? staff
            .map(campaignId, { quarters: quarter ? [quarter] : [] })
            .then((/** @type {any} */ data) => ({ ...data, asked }))
        : Promise.resolve(null),
    [campaignId, quarter],
  );
  const stale = !!found.data && found.data.asked !== asked;
  const settings = useRemote(() => staff.settings(), []);
  const points = /** @type {Point[]} */ (found.data?.households ?? []);
  const counts = Object.fromEntries(
    POINT_STATES.map((s) => [s, points.filter((p) => p.state === s).length]),
  );

  return (
    <StaffPage user={user} path={path} title={t('staff_map_title')}>
      <form class="staff-filters" onSubmit={(e) => e.preventDefault()}>
        <CampaignChoice lookups={lookups} value={campaignId} onChange={setCampaign} />
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
      </form>
      <ErrorNotice error={found.error} />
      {found.loading && !found.data && <p class="muted">{t('staff_loading')}</p>}
      {/* Until the answer to what is asked now arrives, the previous one is dimmed and busy. */}
      <div class={`results${stale ? ' stale' : ''}`} aria-busy={stale ? 'true' : 'false'}>
        <ul class="map-legend" aria-label={t('staff_map_legend')}>
          {POINT_STATES.map((s) => (
            <li key={s}>
              <span class={`map-point ${s}`} aria-hidden="true" />
              {t(`staff_map_state.${s}`)}: <strong>{counts[s]}</strong>
            </li>
          ))}
        </ul>
        {found.data && settings.data && (
          <PointsMap points={points} tiles={settings.data.map_tiles ?? null} />
        )}
        {found.data && (
          <p class="muted" role="status" aria-label={t('staff_map_count')}>
            {t('staff_map_shown', { n: points.length })}
            {found.data.without_location > 0 &&
              ` · ${t('staff_map_without_location', { n: found.data.without_location })}`}
          </p>
        )}
      </div>
    </StaffPage>
  );
}

/**
 * Leaflet with the clustering plugin, which extends the global Leaflet it finds when it loads.
 * @returns {Promise<any>}
 */
async function leafletWithClusters() {
  const mod = await import('leaflet');
  const L = /** @type {any} */ (mod).default ?? mod;
  /** @type {any} */ (globalThis).L = L;
  await Promise.all([
    import('leaflet.markercluster'),
    import('leaflet/dist/leaflet.css'),
    import('leaflet.markercluster/dist/MarkerCluster.css'),
  ]);
  return L;
}

/**
 * A cluster's icon: how many households, on a ring that shows its mix of states. Built as an
 * element and coloured through the CSSOM (the content security policy refuses style attributes).
 * @param {any} L
 * @param {any} cluster
 */
function clusterIcon(L, cluster) {
  const markers = cluster.getAllChildMarkers();
  /** @type {Record<string, number>} */
  const counts = { visited: 0, not_visited: 0, flagged: 0 };
  for (const m of markers) counts[m.options.state] += 1;
  let at = 0;
  const stops = POINT_STATES.map((s) => {
    const end = at + (counts[s] / markers.length) * 360;
    const stop = `var(--state-${s}) ${at}deg ${end}deg`;
    at = end;
    return stop;
  });
  const ring = document.createElement('div');
  ring.className = 'map-cluster';
  ring.style.background = `conic-gradient(${stops.join(', ')})`;
  const count = document.createElement('span');
  count.textContent = String(markers.length);
  ring.append(count);
  return L.divIcon({ html: ring, className: 'map-cluster-icon', iconSize: L.point(40, 40) });
}

/** @param {{points: Point[], tiles: string|null}} props */
function PointsMap({ points, tiles }) {
  const box = useRef(/** @type {HTMLDivElement|null} */ (null));
  const [failed, setFailed] = useState(false);
  // The points the map has drawn: busy until these are (Leaflet loads, then adds its markers).
  const drawing = `${JSON.stringify(points)} ${tiles}`;
  const [drawn, setDrawn] = useState(/** @type {string|null} */ (null));

  useEffect(() => {
    if (!box.current || !points.length) return undefined;
    /** @type {any} */
    let map = null;
    let cancelled = false;
    leafletWithClusters()
      .then((L) => {
        if (cancelled || !box.current) return;
        // Clustering needs the map's deepest zoom, which a tile layer would otherwise give.
        map = L.map(box.current, { scrollWheelZoom: true, maxZoom: 19 });
        if (tiles)
          L.tileLayer(tiles, { maxZoom: 19, attribution: tileAttribution(tiles) }).addTo(map);
        const group = L.markerClusterGroup({
          iconCreateFunction: (/** @type {any} */ c) => clusterIcon(L, c),
          showCoverageOnHover: false,
          maxClusterRadius: 40,
          chunkedLoading: true,
        });
        group.addLayers(
          points.map((p) =>
            L.marker([p.lat, p.lon], {
              icon: L.divIcon({ className: `map-point ${p.state}`, iconSize: L.point(16, 16) }),
              title: `${p.head_name} – ${p.address} (${t(`staff_map_state.${p.state}`)})`,
              keyboard: true,
              state: p.state,
            }).on('click', () => navigate(`/review/households/${p.id}`)),
          ),
        );
        map.addLayer(group);
        map.fitBounds(group.getBounds(), { padding: [24, 24], maxZoom: 17 });
        setDrawn(drawing);
      })
      .catch(() => setFailed(true));
    return () => {
      cancelled = true;
      map?.remove();
    };
  }, [drawing]);

  if (!points.length) return <p class="muted">{t('staff_map_none')}</p>;
  if (failed) return <p class="notice warn">{t('staff_map_failed')}</p>;
  return (
    <div
      ref={box}
      class="campaign-map"
      aria-label={t('staff_map_title')}
      aria-busy={drawn === drawing ? 'false' : 'true'}
    />
  );
}
