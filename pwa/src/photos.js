/**
 * Photos of visits, support and assessments, on the phone: reduced in a worker, kept in
 * IndexedDB with their record (`photos` table), uploaded once the server has the record, one at a
 * time, in chunks resumed from the offset the server tells, never twice (the id is chosen here;
 * the server answers a complete photo with itself).
 *
 * A photo's `state`: `draft` (its form is not saved yet: never uploaded), `waiting`, `uploaded`
 * (its bytes may then be dropped from the phone to free space, `data: null`), `refused` (the
 * server will never take it: shown on the sync screen with its reason, until discarded).
 *
 * A photo sent from another device reaches this phone as a record of the feed (collection
 * `photos`: what it is of and what it is, never its bytes); a record's photos include those, in
 * state `server`, shown from the server when online.
 */
import { ApiError } from './api.js';
import { getRecord, getRecords } from './bundles.js';
import { uuidv7 } from './text.js';

export const PHOTO_COLLECTIONS = ['visits', 'support', 'assessments'];
export const MAX_PHOTOS = 5;
export const CHUNK = 256 * 1024;
export const MAX_SIDE = 1600;
export const TARGET_BYTES = 200 * 1024;

/**
 * @typedef {{id: string, collection: string, record: string, data: ArrayBuffer|null,
 *   type: string, size: number, sha256: string, width: number, height: number,
 *   state: 'draft'|'waiting'|'uploaded'|'refused'|'server', sent: number, at: string,
 *   code?: string, message?: string, by?: string}} Photo
 * @typedef {{data: ArrayBuffer, type: string, size: number, sha256: string, width: number,
 *   height: number}} ReducedPhoto
 */

/**
 * Reduce a photo (a File from the camera or the gallery) in a Web Worker.
 * @param {Blob} file
 * @returns {Promise<ReducedPhoto>}
 */
export function reducePhoto(file) {
  const worker = new Worker(new URL('./photo-worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      worker.terminate();
      if (event.data.ok) resolve(event.data.reduced);
      else reject(new Error(event.data.message));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || 'photo worker failed'));
    };
    worker.postMessage({ file, maxSide: MAX_SIDE, targetBytes: TARGET_BYTES });
  });
}

/**
 * The photos of one record, oldest first: those kept on this phone, and those the feed told of
 * that this phone does not hold (sent from another device).
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} record
 * @returns {Promise<Photo[]>}
 */
export async function recordPhotos(db, collection, record) {
  return db.transaction('r', db.photos, db.records, db.bundles, async () => {
    const rows = await db.photos
      .where('[collection+record]')
      .equals([collection, record])
      .toArray();
    const held = new Set(rows.map((p) => p.id));
    const told = await feedPhotos(db, collection, record);
    return [...rows, ...told.filter((p) => !held.has(p.id))].sort(
      (a, b) => (Date.parse(a.at) || 0) - (Date.parse(b.at) || 0),
    );
  });
}

/**
 * The photos of a record as the feed tells them: the `photos` records of its household (an
 * index lookup) that are of this record.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} record
 * @returns {Promise<Photo[]>}
 */
async function feedPhotos(db, collection, record) {
  const owner = await getRecord(db, collection, record);
  const household = owner?.fields?.household_id;
  if (!household) return [];
  const rows = await db.records.where('[collection+hh]').equals(['photos', household]).toArray();
  return rows
    .filter(
      (r) =>
        r.server &&
        !r.server.deleted &&
        r.fields.record_collection === collection &&
        r.fields.record_id === record,
    )
    .map((r) => fromFeed(r, collection, record));
}

/**
 * A photo's record of the feed as a photo this phone does not hold.
 * @param {import('./db.js').LocalRecord} r
 * @param {string} collection
 * @param {string} record
 * @returns {Photo}
 */
function fromFeed(r, collection, record) {
  const f = r.fields;
  const meta = r.server?.meta ?? {};
  return {
    id: r.id,
    collection,
    record,
    data: null,
    type: f.content_type,
    size: f.size,
    sha256: f.sha256,
    width: f.width,
    height: f.height,
    state: 'server',
    sent: f.size,
    at: meta.created_at ?? '',
    by: meta.created_by?.name ?? '',
  };
}

/**
 * What a photo's placeholder says when its image is not shown (an i18n key): while its
 * thumbnail is asked of the server, `photo_loading`; once the server refused it, why (a photo
 * this account may not see, as when the user's neighbourhoods changed, or one the server does not
 * have); offline or with no answer at all, that it is shown when online.
 * @param {Photo} photo
 * @param {{online: boolean, loading?: boolean, error?: unknown}} state
 * @returns {string}
 */
export function photoPlaceholder(photo, { online, loading = false, error = null }) {
  const offline = photo.state === 'server' ? 'photo_online_only' : 'photo_not_on_phone';
  if (!online) return offline;
  if (loading) return 'photo_loading';
  if (!(error instanceof ApiError) || error.status === 0) return offline;
  if (error.status === 403) return 'photo_forbidden';
  if (error.status === 404 || error.status === 410) return 'photo_not_found';
  return 'photo_load_failed';
}

/**
 * What the staff console's placeholder for a photo from the server says (an i18n key), in the
 * field app's words (`photoPlaceholder`): while it is asked, `photo_loading`; once the server
 * refused it, why (a photo this account may not see, one the server does not have); any other
 * failure (no answer, an image that would not show) that it could not be loaded, since the
 * console has no offline copy to speak of.
 * @param {{loading?: boolean, error?: unknown}} state
 * @returns {string}
 */
export function serverPhotoPlaceholder({ loading = false, error = null }) {
  if (loading) return 'photo_loading';
  if (!(error instanceof ApiError) || error.status === 0) return 'photo_load_failed';
  const fromServer = /** @type {Photo} */ (/** @type {unknown} */ ({ state: 'server' }));
  return photoPlaceholder(fromServer, { online: true, error });
}

/**
 * Keep a reduced photo with its record; `draft` while the record's form is not saved.
 * At most `MAX_PHOTOS` per record, those sent from other devices included (an Error beyond).
 * @param {import('./db.js').DoorstepDb} db
 * @param {{collection: string, record: string, reduced: ReducedPhoto, draft: boolean,
 *   now?: () => Date}} what
 * @returns {Promise<Photo>}
 */
export async function addPhoto(db, { collection, record, reduced, draft, now = () => new Date() }) {
  return db.transaction('rw', db.photos, db.records, db.bundles, async () => {
    const count = (await recordPhotos(db, collection, record)).length;
    if (count >= MAX_PHOTOS) throw new Error(`at most ${MAX_PHOTOS} photos`);
    /** @type {Photo} */
    const photo = {
      id: uuidv7(),
      collection,
      record,
      ...reduced,
      state: draft ? 'draft' : 'waiting',
      sent: 0,
      at: now().toISOString(),
    };
    await db.photos.add(photo);
    return photo;
  });
}

/**
 * The record is saved: its draft photos may be uploaded.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} record
 */
export async function commitPhotos(db, collection, record) {
  await db.photos
    .where('[collection+record]')
    .equals([collection, record])
    .filter((p) => p.state === 'draft')
    .modify({ state: 'waiting' });
}

/**
 * Drop the photos of a form whose draft was discarded.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} record
 */
export async function dropDraftPhotos(db, collection, record) {
  await db.photos
    .where('[collection+record]')
    .equals([collection, record])
    .filter((p) => p.state === 'draft')
    .delete();
}

/**
 * A record deleted on the phone: its photos not uploaded yet go with it.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} collection
 * @param {string} record
 */
export async function dropUnsentPhotos(db, collection, record) {
  await db.photos
    .where('[collection+record]')
    .equals([collection, record])
    .filter((p) => p.state !== 'uploaded')
    .delete();
}

/**
 * Remove a photo that the server does not have (an uploaded one stays: it is evidence).
 * @param {import('./db.js').DoorstepDb} db
 * @param {string} id
 */
export async function removePhoto(db, id) {
  await db.photos
    .where('id')
    .equals(id)
    .filter((p) => p.state !== 'uploaded')
    .delete();
}

/**
 * Free space: forget the bytes of photos the server has (shown from the server when online).
 * @param {import('./db.js').DoorstepDb} db
 * @returns {Promise<number>} bytes freed
 */
export async function dropUploadedPhotos(db) {
  let freed = 0;
  await db.photos
    .where('state')
    .equals('uploaded')
    .filter((p) => p.data !== null)
    .modify((/** @type {Photo} */ p) => {
      freed += p.size;
      p.data = null;
    });
  return freed;
}

/**
 * What photos hold on the phone: all of them, and those already uploaded (which can be dropped).
 * @param {import('./db.js').DoorstepDb} db
 */
export async function photoStorage(db) {
  const kept = { count: 0, bytes: 0, uploadedCount: 0, uploadedBytes: 0 };
  await db.photos.each((p) => {
    if (p.data === null) return;
    kept.count += 1;
    kept.bytes += p.size;
    if (p.state === 'uploaded') {
      kept.uploadedCount += 1;
      kept.uploadedBytes += p.size;
    }
  });
  return kept;
}

/**
 * Photos whose record is no longer on the phone (it left the user's scope, §5 `evict`) go too;
 * a draft's photos stay with their draft.
 * @param {import('./db.js').DoorstepDb} db
 */
export async function evictPhotos(db) {
  await db.transaction('rw', db.photos, db.records, db.bundles, async () => {
    const photos = await db.photos.filter((p) => p.state !== 'draft').toArray();
    const records = await getRecords(
      db,
      photos.map((p) => [p.collection, p.record]),
    );
    const gone = photos.filter((_, i) => !records[i]).map((p) => p.id);
    if (gone.length) await db.photos.bulkDelete(gone);
  });
}

/**
 * Photos waiting to be uploaded, oldest first (the sync screen lists them with their progress).
 * @param {import('./db.js').DoorstepDb} db
 * @returns {Promise<Photo[]>}
 */
export async function waitingPhotos(db) {
  const rows = await db.photos.where('state').equals('waiting').toArray();
  return rows.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * Upload every waiting photo whose record the server has, one at a time. A lost connection
 * stops the phase (thrown, retried by the sync engine later, from the server's offset); a refusal
 * the device cannot fix marks the photo `refused`.
 * @param {import('./db.js').DoorstepDb} db
 * @param {Pick<import('./api.js').Api, 'photoUpload'>} api
 * @param {{chunk?: number}} [options] bytes per request
 * @returns {Promise<number>} photos uploaded
 */
export async function uploadPhotos(db, api, { chunk = CHUNK } = {}) {
  let uploaded = 0;
  for (const photo of await waitingPhotos(db)) {
    const record = await getRecord(db, photo.collection, photo.record);
    // The record's own op first: until the server has the record, the photo waits.
    if (!record?.server) continue;
    try {
      await uploadPhoto(db, api, photo, chunk);
      uploaded += 1;
    } catch (err) {
      if (!(err instanceof ApiError) || !isRefusal(err)) throw err;
      await db.photos.update(photo.id, {
        state: 'refused',
        code: err.code,
        message: err.message,
      });
    }
  }
  return uploaded;
}

/**
 * A refusal that sending again will not change (a file the server does not keep, a record gone
 * or out of scope); not a lost connection, a sign-in, an update or a busy server.
 * @param {ApiError} err
 */
function isRefusal(err) {
  return [403, 404, 409, 413, 415, 422].includes(err.status);
}

/**
 * Send one photo from where the server has it to the end.
 * @param {import('./db.js').DoorstepDb} db
 * @param {Pick<import('./api.js').Api, 'photoUpload'>} api
 * @param {Photo} photo
 * @param {number} chunkSize
 */
async function uploadPhoto(db, api, photo, chunkSize) {
  if (!photo.data) return;
  const data = new Uint8Array(photo.data);
  let answer = await api.photoUpload(photo, null, null);
  while (!answer.complete) {
    const offset = answer.offset;
    const chunk = new Blob([data.subarray(offset, Math.min(offset + chunkSize, data.length))]);
    try {
      answer = await api.photoUpload(photo, offset, chunk);
    } catch (err) {
      // The server has more or less than this phone thought (an answer lost): continue from it.
      if (err instanceof ApiError && err.code === 'wrong_offset') {
        answer = { complete: false, offset: err.details.offset };
        continue;
      }
      throw err;
    }
    await db.photos.update(photo.id, { sent: answer.offset });
  }
  await db.photos.update(photo.id, { state: 'uploaded', sent: photo.size });
}
