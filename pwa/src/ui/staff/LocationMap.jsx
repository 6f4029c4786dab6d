/**
 * A small map of a record's location: Leaflet with the tiles of the server's `DOORSTEP_MAP_TILES`
 * (none when it is empty: the point alone, and no tile server learns where the resident lives),
 * loaded only when a record has a location and the device is online. Offline, or when the tiles
 * fail, the coordinates and a link stay readable (the fallback is always rendered under the map).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { useOnline } from '../hooks.js';
import { staff, tileAttribution, useRemote } from './common.jsx';

/** @param {{location: {lat: number, lon: number, accuracy_m?: number|null}}} props */
export function LocationMap({ location }) {
  const online = useOnline();
  const box = useRef(/** @type {HTMLDivElement|null} */ (null));
  const [failed, setFailed] = useState(false);
  const { lat, lon } = location;
  const settings = useRemote(() => staff.settings(), []);
  const tiles = settings.data?.map_tiles;

  useEffect(() => {
    if (!online || !box.current || tiles === undefined) return undefined;
    /** @type {any} */
    let map = null;
    let cancelled = false;
    Promise.all([import('leaflet'), import('leaflet/dist/leaflet.css')])
      .then(([mod]) => {
        const L = /** @type {any} */ (mod).default ?? mod;
        if (cancelled || !box.current) return;
        map = L.map(box.current, { scrollWheelZoom: false, attributionControl: true }).setView(
          [lat, lon],
          17,
        );
        if (tiles)
          L.tileLayer(tiles, { maxZoom: 19, attribution: tileAttribution(tiles) }).addTo(map);
        L.circleMarker([lat, lon], { radius: 8, color: '#b71c1c', fillOpacity: 0.8 }).addTo(map);
        if (location.accuracy_m)
          L.circle([lat, lon], { radius: location.accuracy_m, color: '#b71c1c', weight: 1 }).addTo(
            map,
          );
      })
      .catch(() => setFailed(true));
    return () => {
      cancelled = true;
      map?.remove();
    };
  }, [online, lat, lon, tiles]);

  const osm = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=18/${lat}/${lon}`;
  return (
    <div class="staff-map">
      {online && !failed && <div ref={box} class="staff-map-box" aria-label={t('location')} />}
      <p class="muted">
        {lat.toFixed(5)}, {lon.toFixed(5)}
        {location.accuracy_m ? ` (±${Math.round(location.accuracy_m)} m)` : ''} ·{' '}
        <a href={osm} target="_blank" rel="noopener noreferrer">
          {t('staff_open_map')}
        </a>
      </p>
    </div>
  );
}
