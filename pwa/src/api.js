/**
 * The only module that talks to the network. Every call goes to the same origin under /api/v1
 * (sync-protocol.md); failures become an ApiError with the HTTP status (0 for no connection) and
 * the server's error code.
 */

import { took } from './timings.js';

/** The app's data schema version, sent as X-Doorstep-Schema (§5a). */
export const SCHEMA_VERSION = 1;

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the request never got an answer
   * @param {string} code the server's error code, or `network` / `timeout` / `bad_response`
   * @param {string} [message]
   * @param {any} [details]
   */
  constructor(status, code, message, details) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details ?? null;
  }
}

/**
 * @typedef {{token: string, expires_at?: string, user: {id: string, username: string,
 *   display_name: string, role: string, quarters: string[], unit_id?: string|null}}} Session
 */

/**
 * @param {{base?: string, getToken?: () => Promise<string|null|undefined>, fetchImpl?: typeof fetch,
 *   timeoutMs?: number}} [options]
 */
export function createApi(options = {}) {
  const base = options.base ?? '/api/v1';
  const getToken = options.getToken ?? (async () => null);
  const fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 60000;

  /**
   * @param {string} method
   * @param {string} path
   * @param {any} [body] JSON, or a Blob (a File) sent as it is: an upload
   * @param {{auth?: boolean, raw?: boolean, timeoutMs?: number, headers?: Record<string, string>,
   *   timings?: Record<string, number>}} [opts] `timings`: the milliseconds of this request's steps
   *   are added to it (`fetch`: until the response's headers; `read`: its body as text, with any
   *   wait for the network; `parse`: JSON.parse)
   */
  async function request(method, path, body, opts = {}) {
    const { timings } = opts;
    /** @type {Record<string, string>} */
    const headers = {
      Accept: 'application/json',
      'X-Doorstep-Schema': String(SCHEMA_VERSION),
      ...opts.headers,
    };
    const file = typeof Blob !== 'undefined' && body instanceof Blob;
    if (body !== undefined)
      headers['Content-Type'] = file ? 'application/octet-stream' : 'application/json';
    if (opts.auth !== false) {
      const token = await getToken();
      if (token) headers.Authorization = `Bearer ${token}`;
    }
    const controller = typeof AbortController !== 'undefined' ? new AbortController() : null;
    const timer = controller
      ? setTimeout(() => controller.abort(), opts.timeoutMs ?? timeoutMs)
      : null;
    let response;
    let since = performance.now();
    try {
      response = await fetchImpl(base + path, {
        method,
        headers,
        body: body === undefined || file ? body : JSON.stringify(body),
        signal: controller?.signal,
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch (err) {
      const aborted = /** @type {any} */ (err)?.name === 'AbortError';
      throw new ApiError(0, aborted ? 'timeout' : 'network', String(err));
    } finally {
      if (timer) clearTimeout(timer);
      took(timings, 'fetch', since);
    }
    // A download (exports, the report) reads the body itself, as a stream.
    if (opts.raw && response.ok) return response;
    let data = null;
    since = performance.now();
    const text = await response.text().catch(() => '');
    took(timings, 'read', since);
    if (text) {
      since = performance.now();
      try {
        data = JSON.parse(text);
      } catch {
        if (response.ok) throw new ApiError(response.status, 'bad_response', 'Not JSON');
      } finally {
        took(timings, 'parse', since);
      }
    }
    if (!response.ok) {
      const e = data?.error ?? {};
      throw new ApiError(
        response.status,
        e.code || `http_${response.status}`,
        e.message,
        e.details,
      );
    }
    return data;
  }

  return {
    /** The raw call, for the supervisor and admin calls of staff-api.js. */
    request,
    /**
     * @param {{username: string, password: string, device_id?: string, device_name?: string}} creds
     * @returns {Promise<Session>}
     */
    login: (creds) => request('POST', '/auth/login', creds, { auth: false }),
    logout: () => request('POST', '/auth/logout', {}),
    me: () => request('GET', '/me'),
    /**
     * Change one's own password (§9); the server signs out every other device of the user.
     * @param {string} current
     * @param {string} next
     * @returns {Promise<{revoked: number}>} how many other sign-ins ended
     */
    changePassword: (current, next) =>
      request('POST', '/me/password', { current_password: current, new_password: next }),
    /**
     * Hand a change the server refused to an admin (§6a).
     * @param {string} opId
     * @returns {Promise<{op_id: string, state: string}>}
     */
    escalate: (opId) => request('POST', `/ops/${encodeURIComponent(opId)}/escalate`, {}),
    /**
     * The changes this user handed to an admin, and what became of them (§6a).
     * @returns {Promise<{ops: {op_id: string, collection: string, id: string, state: string,
     *   reason?: string, at: string}[]}>}
     */
    myOps: () => request('GET', '/ops/mine'),
    health: () => request('GET', '/health', undefined, { auth: false }),
    /**
     * @param {string} deviceId
     * @param {any[]} ops
     * @returns {Promise<{results: any[]}>}
     */
    push: (deviceId, ops) => request('POST', '/sync/push', { device_id: deviceId, ops }),
    /**
     * @param {string|null|undefined} cursor
     * @param {number} limit
     * @param {Record<string, number>} [timings] see `request`
     * @returns {Promise<{changes: any[], cursor: string, more: boolean, remaining?: number}>}
     */
    pull: (cursor, limit, timings) => {
      const qs = new URLSearchParams({ limit: String(limit) });
      if (cursor) qs.set('cursor', cursor);
      return request('GET', `/sync/pull?${qs}`, undefined, { timings });
    },
    /**
     * Send one chunk of a photo at `first`, or (`first` null) ask how much the server has.
     * @param {{id: string, collection: string, record: string, sha256: string, size: number}} photo
     * @param {number|null} first
     * @param {Blob|null} chunk
     * @returns {Promise<{id: string, complete: boolean, offset: number, size: number, photo: any}>}
     */
    photoUpload: (photo, first, chunk) => {
      const qs = new URLSearchParams({
        collection: photo.collection,
        record_id: photo.record,
        sha256: photo.sha256,
      });
      const range =
        first === null || !chunk
          ? `bytes */${photo.size}`
          : `bytes ${first}-${first + chunk.size - 1}/${photo.size}`;
      return request(
        'PUT',
        `/photos/${encodeURIComponent(photo.id)}?${qs}`,
        chunk ?? new Blob([]),
        {
          headers: { 'Content-Range': range },
        },
      );
    },
    /**
     * A photo the server has, or its thumbnail, as a Blob (shown through an object URL).
     * @param {string} id
     * @param {boolean} [thumb]
     * @returns {Promise<Blob>}
     */
    photo: async (id, thumb = false) => {
      const path = `/photos/${encodeURIComponent(id)}${thumb ? '/thumb' : ''}`;
      const response = await request('GET', path, undefined, { raw: true });
      return response.blob();
    },
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */
