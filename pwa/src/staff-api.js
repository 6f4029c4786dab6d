/**
 * The supervisor and admin calls (sync-protocol.md §6 review, conflicts, history; §9 users; the
 * campaign report), on top of the api module's `request`: these views work online,
 * so every call goes straight to the server and an error comes back as the api's ApiError.
 */
import { uuidv7 } from './text.js';
import { values } from './vocabulary.js';

/** Collections a supervisor reviews, in the order the queue offers them. */
export const REVIEW_COLLECTIONS = /** @type {const} */ ([
  'households',
  'visits',
  'registrations',
  'support',
  'assessments',
  'nominations',
]);

/** Review statuses a record can have (§2), those awaiting a reviewer first. */
export const REVIEW_STATUSES = values('review');

/**
 * `{a: 1, b: '', c: null}` → `?a=1` (empty values left out).
 * @param {Record<string, any>} params
 */
export function queryString(params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) qs.append(k, String(x));
    else qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `?${s}` : '';
}

/**
 * @typedef {{collection: string, quarter?: string, review?: string, q?: string,
 *   created_by?: string, date_from?: string, date_to?: string, limit?: number, offset?: number}} RecordQuery
 */

/**
 * The staff calls, given the api module (anything with its `request`).
 * @param {{request: (method: string, path: string, body?: any, opts?: any) => Promise<any>}} api
 */
export function createStaffApi(api) {
  const { request } = api;
  const enc = encodeURIComponent;
  return {
    /**
     * Records in the caller's scope, newest first: `{records, total}`.
     * @param {RecordQuery} query
     */
    records: ({ collection, ...params }) =>
      request('GET', `/records/${enc(collection)}${queryString(params)}`),
    /** @param {string} collection @param {string} id */
    record: (collection, id) => request('GET', `/records/${enc(collection)}/${enc(id)}`),
    /**
     * The photos of some records of a collection (those in scope): `{photos}`.
     * @param {string} collection
     * @param {string[]} ids
     */
    photos: (collection, ids) =>
      request('GET', `/photos${queryString({ collection, record_id: ids })}`),
    /**
     * A photo, or its thumbnail, as a Blob.
     * @param {string} id
     * @param {boolean} [thumb]
     * @returns {Promise<Blob>}
     */
    photo: async (id, thumb = false) => {
      const path = `/photos/${enc(id)}${thumb ? '/thumb' : ''}`;
      return (await request('GET', path, undefined, { raw: true })).blob();
    },
    /** `{record, revisions}`, oldest revision first. @param {string} collection @param {string} id */
    history: (collection, id) => request('GET', `/records/${enc(collection)}/${enc(id)}/history`),
    /**
     * @param {string} collection
     * @param {string} id
     * @param {'approved'|'has_issues'|'rejected'} status
     * @param {string|null} [comment]
     */
    review: (collection, id, status, comment) =>
      request('POST', `/records/${enc(collection)}/${enc(id)}/review`, {
        status,
        comment: comment?.trim() ? comment.trim() : null,
      }),
    /**
     * Review several records at once (each gets a new revision): `{batch_id, results}`, each
     * result `{id, status: 'reviewed'|'skipped', reason?, record}`.
     * @param {string} collection
     * @param {string[]} ids
     * @param {'approved'|'has_issues'|'rejected'} status
     * @param {string|null} [comment]
     */
    reviewMany: (collection, ids, status, comment) =>
      request('POST', `/records/${enc(collection)}/reviews`, {
        ids,
        status,
        comment: comment?.trim() ? comment.trim() : null,
      }),
    /**
     * Undo one's bulk review: each record back to its previous review (`undone`), or left as it
     * is when reviewed or edited since (`skipped`).
     * @param {string} batchId
     */
    undoReviews: (batchId) => request('POST', `/reviews/${enc(batchId)}/undo`),
    /**
     * How many records match, without fetching them (`limit=1`, read `total`).
     * @param {RecordQuery} query
     */
    count: async (query) =>
      (
        await request(
          'GET',
          `/records/${enc(query.collection)}${queryString({ ...query, collection: undefined, limit: 1 })}`,
        )
      ).total,
    /** @param {'open'|'resolved'} status */
    conflicts: (status) => request('GET', `/conflicts${queryString({ status })}`),
    /**
     * @param {string} id
     * @param {Record<string, 'server'|'client'|{value: any}>} choices
     * @param {boolean} [deleted]
     */
    resolve: (id, choices, deleted) =>
      request(
        'POST',
        `/conflicts/${enc(id)}/resolve`,
        deleted === undefined ? { choices } : { choices, deleted },
      ),
    /**
     * Changes field staff handed to an admin (§6a), in one state, each beside its record.
     * @param {'escalated'|'applied'|'declined'} state
     */
    strandedOps: (state) => request('GET', `/ops${queryString({ state })}`),
    /** Apply one on its author's behalf: a push result (§4). @param {string} opId */
    applyOp: (opId) => request('POST', `/ops/${enc(opId)}/apply`, {}),
    /** @param {string} opId @param {string} reason */
    declineOp: (opId, reason) => request('POST', `/ops/${enc(opId)}/decline`, { reason }),
    users: () => request('GET', '/users'),
    /** @param {{username: string, password: string, display_name: string, role: string, quarters: string[]}} user */
    createUser: (user) => request('POST', '/users', user),
    /** @param {string} id @param {Record<string, any>} changes */
    updateUser: (id, changes) => request('PATCH', `/users/${enc(id)}`, changes),
    /** Sign the user out of every device (a lost phone). @param {string} id */
    revokeTokens: (id) => request('POST', `/users/${enc(id)}/revoke-tokens`, {}),
    /** @param {string} id */
    devices: (id) => request('GET', `/users/${enc(id)}/devices`),
    /** Sign the user out of one device (a lost phone). @param {string} id @param {string} deviceId */
    revokeDevice: (id, deviceId) =>
      request('POST', `/users/${enc(id)}/devices/${enc(deviceId)}/revoke`, {}),
    /** @param {{limit?: number, offset?: number}} [page] */
    audit: (page = {}) => request('GET', `/audit${queryString(page)}`),
    /** This server's settings the console needs: `{map_tiles}` (a tile URL template or null). */
    settings: () => request('GET', '/settings'),
    /**
     * The campaign report's figures.
     * @param {string} campaignId
     * @param {{date_from?: string, date_to?: string, quarters?: string[], review?: string}} [filters]
     */
    report: (campaignId, filters = {}) =>
      request('GET', `/reports/campaign/${enc(campaignId)}${queryString(reportParams(filters))}`),
    /**
     * The households with a location and their state in the campaign:
     * `{households: [{id, quarter_id, head_name, address, lat, lon, state}], without_location}`.
     * @param {string} campaignId
     * @param {{date_from?: string, date_to?: string, quarters?: string[], review?: string}} [filters]
     */
    map: (campaignId, filters = {}) =>
      request(
        'GET',
        `/reports/campaign/${enc(campaignId)}/map${queryString(reportParams(filters))}`,
      ),
    /**
     * Write reference data (quarters, groups, campaigns) as admin, with the normal push (§9).
     * A create has `base_rev: null`; the id is chosen here when not given.
     * @param {string} deviceId
     * @param {{collection: string, id?: string, base_rev: number|null, fields: Record<string, any>}} change
     * @returns {Promise<any>} the push result of that one op
     */
    pushOne: async (deviceId, change) => {
      const op = {
        op_id: uuidv7(),
        collection: change.collection,
        id: change.id ?? uuidv7(),
        base_rev: change.base_rev,
        fields: change.fields,
      };
      const response = await request('POST', '/sync/push', { device_id: deviceId, ops: [op] });
      return response.results[0];
    },
    /** The household register template (XLSX). */
    importTemplate: async () => {
      const path = '/imports/households/template.xlsx';
      return readDownload(await request('GET', path, undefined, { raw: true }), path);
    },
    /**
     * What importing a register file would do, row by row; writes nothing.
     * @param {Blob} file an XLSX or CSV file
     */
    previewImport: (file) => request('POST', '/imports/households/preview', file),
    /**
     * The file's rows with errors, with a "Lỗi" column (XLSX).
     * @param {Blob} file
     */
    importErrors: async (file) => {
      const path = '/imports/households/errors.xlsx';
      return readDownload(await request('POST', path, file, { raw: true }), path);
    },
    /**
     * Import a previewed file: the same file and the preview's digest; matches skipped or
     * updated. One transaction on the server, which may take a while for a large file.
     * @param {Blob} file
     * @param {string} digest
     * @param {'skip'|'update'} matches
     */
    applyImport: (file, digest, matches) =>
      request('POST', `/imports/households/apply${queryString({ digest, matches })}`, file, {
        timeoutMs: 10 * 60_000,
      }),
    /**
     * Download a file (a report or a raw export) as a Blob, telling `onProgress` the bytes read
     * (and the total when the server sends a length).
     * @param {string} path under /api/v1, e.g. `/reports/campaign/<id>.pdf`
     * @param {(p: {loaded: number, total: number|null}) => void} [onProgress]
     * @returns {Promise<{blob: Blob, filename: string}>}
     */
    download: async (path, onProgress) => {
      /** @type {Response} */
      const response = await request('GET', path, undefined, { raw: true });
      return readDownload(response, path, onProgress);
    },
  };
}

/**
 * Report filters → query parameters (`review` left out when it is the server's default).
 * @param {{date_from?: string, date_to?: string, quarters?: string[], review?: string}} filters
 */
export function reportParams(filters) {
  return {
    date_from: filters.date_from,
    date_to: filters.date_to,
    quarters: filters.quarters?.length ? filters.quarters.join(',') : undefined,
    review: filters.review && filters.review !== 'not_rejected' ? filters.review : undefined,
  };
}

/**
 * Read a download's body chunk by chunk so the screen can show how far it has got.
 * @param {Response} response
 * @param {string} path
 * @param {(p: {loaded: number, total: number|null}) => void} [onProgress]
 */
export async function readDownload(response, path, onProgress) {
  const length = Number(response.headers.get('Content-Length'));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  const type = response.headers.get('Content-Type') || 'application/octet-stream';
  const filename =
    filenameFrom(response.headers.get('Content-Disposition')) ||
    path.split('?')[0].split('/').pop() ||
    'download';
  if (!response.body) {
    const blob = await response.blob();
    onProgress?.({ loaded: blob.size, total });
    return { blob, filename };
  }
  const reader = response.body.getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let loaded = 0;
  onProgress?.({ loaded, total });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ loaded, total });
  }
  return { blob: new Blob(chunks, { type }), filename };
}

/**
 * The file name of a `Content-Disposition` header (RFC 6266 `filename*` first).
 * @param {string|null} header
 */
export function filenameFrom(header) {
  if (!header) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain ? plain[1].trim() : null;
}

/** @typedef {ReturnType<typeof createStaffApi>} StaffApi */
