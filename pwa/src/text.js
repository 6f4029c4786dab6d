/** Text helpers shared by search, duplicate detection and display. */

/**
 * Fold a string for search: lower case, diacritics removed, `đ` → `d`, spaces collapsed.
 * `Nguyễn Văn Đức` → `nguyen van duc`.
 * @param {string|null|undefined} s
 * @returns {string}
 */
export function fold(s) {
  return String(s ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A test for folded texts: true when every word of the folded query occurs in the text. The query
 * is folded once, not once per record.
 * @param {string} query
 * @returns {(foldedText: string) => boolean}
 */
export function queryMatcher(query) {
  const words = fold(query).split(' ').filter(Boolean);
  return (foldedText) => words.every((w) => foldedText.includes(w));
}

/**
 * True when every word of the folded query occurs in the folded text.
 * @param {string} foldedText
 * @param {string} query
 */
export function matchesQuery(foldedText, query) {
  return queryMatcher(query)(foldedText);
}

/**
 * `2024-10-12` or an ISO datetime → `12/10/2024` (the local calendar date of a datetime).
 * @param {string|null|undefined} value
 */
export function formatDate(value) {
  if (!value) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-');
    return `${d}/${m}/${y}`;
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${p(date.getDate())}/${p(date.getMonth() + 1)}/${date.getFullYear()}`;
}

/**
 * ISO datetime → `12/10/2024 08:30` in local time.
 * @param {string|null|undefined} value
 */
export function formatDateTime(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${formatDate(value)} ${p(date.getHours())}:${p(date.getMinutes())}`;
}

/**
 * 1500000 → `1.500.000 ₫`.
 * @param {number|null|undefined} value
 */
export function formatMoney(value) {
  const n = Math.round(Number(value ?? 0));
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${sign}${digits} ₫`;
}

/**
 * A Date → ISO 8601 with the device's offset, e.g. `2024-10-12T08:30:00+07:00`.
 * @param {Date} date
 */
export function isoWithOffset(date) {
  const p = (/** @type {number} */ n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}` +
    `T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}` +
    `${sign}${p(off / 60)}:${p(off % 60)}`
  );
}

/** Today's local date as `YYYY-MM-DD`. */
export function todayIso() {
  return isoWithOffset(new Date()).slice(0, 10);
}

/**
 * A UUID v7 (time-ordered). Uses getRandomValues, which, unlike randomUUID, also exists outside
 * secure contexts (a phone opening the app over plain http on a LAN).
 * @param {number} [now]
 */
export function uuidv7(now = Date.now()) {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  const ts = BigInt(now);
  for (let i = 0; i < 6; i++) b[i] = Number((ts >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A size in bytes as people read it: `230 kB`, `1.4 MB`.
 * @param {number} bytes
 */
export function fileSize(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}
