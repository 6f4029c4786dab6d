import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api.js';
import {
  MAX_PHOTOS,
  addPhoto,
  commitPhotos,
  dropUploadedPhotos,
  evictPhotos,
  photoPlaceholder,
  photoStorage,
  recordPhotos,
  serverPhotoPlaceholder,
  uploadPhotos,
} from '../src/photos.js';
import { catalogues } from '../src/i18n.js';
import { freshDb } from './helpers.js';

const VISIT = '00000000-0000-4000-8000-0000000000a1';
// Small chunks keep the test quick (the app sends 256 KiB at a time).
const CHUNK = 64;
const options = { chunk: CHUNK };

/** @param {number} size */
function reduced(size, seed = 1) {
  const bytes = new Uint8Array(size).map((_, i) => (i * seed) % 251);
  return {
    data: bytes.buffer,
    type: 'image/jpeg',
    size,
    sha256: 'f'.repeat(64),
    width: 1600,
    height: 1200,
  };
}

/** A server that keeps what it is sent, and may drop the connection once at a chosen chunk. */
function photoServer({ failAt = -1, known = new Map() } = {}) {
  /** @type {Map<string, Uint8Array>} */
  const kept = known;
  const calls = [];
  let failed = false;
  return {
    kept,
    calls,
    async photoUpload(photo, first, chunk) {
      calls.push(first);
      const have = kept.get(photo.id) ?? new Uint8Array(0);
      if (first === null) {
        return { id: photo.id, complete: have.length === photo.size, offset: have.length };
      }
      if (first === failAt && !failed) {
        failed = true;
        throw new ApiError(0, 'network', 'signal lost');
      }
      if (first !== have.length)
        throw new ApiError(409, 'wrong_offset', 'continue', { offset: have.length });
      const bytes = new Uint8Array(await chunk.arrayBuffer());
      const next = new Uint8Array(have.length + bytes.length);
      next.set(have);
      next.set(bytes, have.length);
      kept.set(photo.id, next);
      return { id: photo.id, complete: next.length === photo.size, offset: next.length };
    },
  };
}

async function visitOnServer(db) {
  await db.records.put({
    collection: 'visits',
    id: VISIT,
    server: { fields: {}, rev: 1, meta: null, deleted: false },
    patch: null,
    localDelete: false,
    fields: {},
    hh: null,
    q: null,
    search: '',
  });
}

describe('photos on the phone', () => {
  it('keeps at most five photos per record', async () => {
    const db = freshDb();
    for (let i = 0; i < MAX_PHOTOS; i += 1)
      await addPhoto(db, {
        collection: 'visits',
        record: VISIT,
        reduced: reduced(10),
        draft: false,
      });
    await expect(
      addPhoto(db, { collection: 'visits', record: VISIT, reduced: reduced(10), draft: false }),
    ).rejects.toThrow();
    expect(await recordPhotos(db, 'visits', VISIT)).toHaveLength(MAX_PHOTOS);
  });

  it('waits for the record to reach the server, then uploads in chunks', async () => {
    const db = freshDb();
    const photo = await addPhoto(db, {
      collection: 'visits',
      record: VISIT,
      reduced: reduced(CHUNK * 2 + 10),
      draft: false,
    });
    const server = photoServer();
    expect(await uploadPhotos(db, server, options)).toBe(0);
    expect(server.calls).toEqual([]);
    await visitOnServer(db);
    expect(await uploadPhotos(db, server, options)).toBe(1);
    expect(server.calls).toEqual([null, 0, CHUNK, 2 * CHUNK]);
    expect(server.kept.get(photo.id)).toEqual(new Uint8Array(photo.data));
    expect((await db.photos.get(photo.id)).state).toBe('uploaded');
  });

  it('never uploads a draft photo, whose form is not saved', async () => {
    const db = freshDb();
    await visitOnServer(db);
    await addPhoto(db, { collection: 'visits', record: VISIT, reduced: reduced(50), draft: true });
    const server = photoServer();
    expect(await uploadPhotos(db, server, options)).toBe(0);
    await commitPhotos(db, 'visits', VISIT);
    expect(await uploadPhotos(db, server, options)).toBe(1);
  });

  it('resumes from the offset the server tells after a lost connection', async () => {
    const db = freshDb();
    await visitOnServer(db);
    const photo = await addPhoto(db, {
      collection: 'visits',
      record: VISIT,
      reduced: reduced(CHUNK * 3, 7),
      draft: false,
    });
    const server = photoServer({ failAt: 2 * CHUNK });
    await expect(uploadPhotos(db, server, options)).rejects.toMatchObject({ status: 0 });
    const cut = await db.photos.get(photo.id);
    expect(cut.state).toBe('waiting');
    expect(cut.sent).toBe(2 * CHUNK);
    server.calls.length = 0;
    expect(await uploadPhotos(db, server, options)).toBe(1);
    // Asked where to continue, then sent only the last chunk.
    expect(server.calls).toEqual([null, 2 * CHUNK]);
    expect(server.kept.get(photo.id)).toEqual(new Uint8Array(photo.data));
  });

  it('does not send again a photo the server already has whole', async () => {
    const db = freshDb();
    await visitOnServer(db);
    const photo = await addPhoto(db, {
      collection: 'visits',
      record: VISIT,
      reduced: reduced(500),
      draft: false,
    });
    const server = photoServer({ known: new Map([[photo.id, new Uint8Array(photo.data)]]) });
    expect(await uploadPhotos(db, server, options)).toBe(1);
    expect(server.calls).toEqual([null]);
  });

  it('marks a photo the server refuses, with its reason, instead of dropping it', async () => {
    const db = freshDb();
    await visitOnServer(db);
    const photo = await addPhoto(db, {
      collection: 'visits',
      record: VISIT,
      reduced: reduced(500),
      draft: false,
    });
    const server = {
      photoUpload: async () => {
        throw new ApiError(
          415,
          'unsupported_media_type',
          'This file is not a JPEG, PNG or WebP image.',
        );
      },
    };
    expect(await uploadPhotos(db, server, options)).toBe(0);
    expect(await db.photos.get(photo.id)).toMatchObject({
      state: 'refused',
      code: 'unsupported_media_type',
    });
  });

  it("evicts the photos of records gone from the phone, but not a draft form's", async () => {
    const db = freshDb();
    await visitOnServer(db);
    const kept = await addPhoto(db, {
      collection: 'visits',
      record: VISIT,
      reduced: reduced(5),
      draft: false,
    });
    const other = '00000000-0000-4000-8000-0000000000b2';
    const gone = await addPhoto(db, {
      collection: 'visits',
      record: other,
      reduced: reduced(5),
      draft: false,
    });
    const draft = await addPhoto(db, {
      collection: 'support',
      record: other,
      reduced: reduced(5),
      draft: true,
    });
    await evictPhotos(db);
    expect((await db.photos.toArray()).map((p) => p.id).sort()).toEqual([kept.id, draft.id].sort());
    expect(await db.photos.get(gone.id)).toBeUndefined();
  });

  it('drops the bytes of uploaded photos only, and says how much', async () => {
    const db = freshDb();
    await visitOnServer(db);
    const sent = await addPhoto(db, {
      collection: 'visits',
      record: VISIT,
      reduced: reduced(300),
      draft: false,
    });
    await addPhoto(db, { collection: 'visits', record: VISIT, reduced: reduced(200), draft: true });
    await db.photos.update(sent.id, { state: 'uploaded' });
    expect(await photoStorage(db)).toEqual({
      count: 2,
      bytes: 500,
      uploadedCount: 1,
      uploadedBytes: 300,
    });
    expect(await dropUploadedPhotos(db)).toBe(300);
    expect(await photoStorage(db)).toEqual({
      count: 1,
      bytes: 200,
      uploadedCount: 0,
      uploadedBytes: 0,
    });
    expect((await db.photos.get(sent.id)).state).toBe('uploaded');
  });

  it('shows the photos other devices sent, told by the feed, beside its own', async () => {
    const db = freshDb();
    const HOUSEHOLD = '00000000-0000-4000-8000-0000000000c3';
    await db.records.put({
      collection: 'visits',
      id: VISIT,
      server: { fields: { household_id: HOUSEHOLD }, rev: 1, meta: null, deleted: false },
      patch: null,
      localDelete: false,
      fields: { household_id: HOUSEHOLD },
      hh: HOUSEHOLD,
      q: null,
      search: '',
    });
    /** A photo's record as the server's feed carries it (the bytes are not in it). */
    const told = (id, recordId, at, collection = 'visits') => {
      const fields = {
        record_collection: collection,
        record_id: recordId,
        household_id: HOUSEHOLD,
        size: 2000,
        sha256: 'a'.repeat(64),
        content_type: 'image/webp',
        width: 1600,
        height: 900,
      };
      return {
        collection: 'photos',
        id,
        server: {
          fields,
          rev: 1,
          deleted: false,
          meta: { created_at: at, created_by: { id: 'u2', name: 'Trần Thị Bình' } },
        },
        patch: null,
        localDelete: false,
        fields,
        hh: HOUSEHOLD,
        q: null,
        search: '',
      };
    };
    const mine = await addPhoto(db, {
      collection: 'visits',
      record: VISIT,
      reduced: reduced(10),
      draft: false,
      now: () => new Date('2024-10-12T02:00:00Z'),
    });
    const A = '00000000-0000-4000-8000-0000000000f1';
    await db.records.bulkPut([
      told(A, VISIT, '2024-10-12T08:30:00+07:00'),
      // This phone's own photo, once uploaded, is in the feed too: shown once, from the phone.
      told(mine.id, VISIT, '2024-10-12T09:00:10+07:00'),
      told('00000000-0000-4000-8000-0000000000f2', '00000000-0000-4000-8000-0000000000d4', ''),
      told('00000000-0000-4000-8000-0000000000f3', VISIT, '', 'support'),
    ]);
    const photos = await recordPhotos(db, 'visits', VISIT);
    expect(photos.map((p) => [p.id, p.state, p.data === null])).toEqual([
      [A, 'server', true],
      [mine.id, 'waiting', false],
    ]);
    expect(photos[0]).toMatchObject({ type: 'image/webp', width: 1600, by: 'Trần Thị Bình' });
    // They count towards the five a record may have.
    for (let i = 0; i < MAX_PHOTOS - 2; i += 1)
      await addPhoto(db, {
        collection: 'visits',
        record: VISIT,
        reduced: reduced(5),
        draft: false,
      });
    await expect(
      addPhoto(db, { collection: 'visits', record: VISIT, reduced: reduced(5), draft: false }),
    ).rejects.toThrow();
  });
});

describe("a photo's placeholder", () => {
  const told = /** @type {import('../src/photos.js').Photo} */ ({
    id: '00000000-0000-4000-8000-0000000000b1',
    collection: 'visits',
    record: VISIT,
    data: null,
    type: 'image/jpeg',
    size: 10,
    sha256: 'f'.repeat(64),
    width: 1,
    height: 1,
    state: 'server',
    sent: 10,
    at: '',
  });
  const dropped = { ...told, state: /** @type {const} */ ('uploaded') };
  const refused = (/** @type {number} */ status, /** @type {string} */ code) =>
    new ApiError(status, code, code);

  it('says the photo is shown when online only when it is offline or got no answer', () => {
    expect(photoPlaceholder(told, { online: false })).toBe('photo_online_only');
    expect(photoPlaceholder(dropped, { online: false })).toBe('photo_not_on_phone');
    const lost = refused(0, 'network');
    expect(photoPlaceholder(told, { online: true, error: lost })).toBe('photo_online_only');
    expect(photoPlaceholder(dropped, { online: true, error: lost })).toBe('photo_not_on_phone');
  });

  it('says what the server answered when it refused the thumbnail online', () => {
    for (const photo of [told, dropped]) {
      const forbidden = refused(403, 'forbidden');
      expect(photoPlaceholder(photo, { online: true, error: forbidden })).toBe('photo_forbidden');
      const missing = refused(404, 'not_found');
      expect(photoPlaceholder(photo, { online: true, error: missing })).toBe('photo_not_found');
      const busy = refused(503, 'unavailable');
      expect(photoPlaceholder(photo, { online: true, error: busy })).toBe('photo_load_failed');
    }
  });

  it('says in the staff console what the server answered, and else that it could not load', () => {
    expect(serverPhotoPlaceholder({ loading: true })).toBe('photo_loading');
    const said = (/** @type {unknown} */ error) => serverPhotoPlaceholder({ error });
    expect(said(refused(403, 'forbidden'))).toBe('photo_forbidden');
    expect(said(refused(404, 'not_found'))).toBe('photo_not_found');
    expect(said(refused(410, 'gone'))).toBe('photo_not_found');
    expect(said(refused(503, 'unavailable'))).toBe('photo_load_failed');
    expect(said(refused(0, 'network'))).toBe('photo_load_failed');
    expect(said(new TypeError('Failed to fetch'))).toBe('photo_load_failed');
  });

  it('says it is loading while the thumbnail is asked, not that the phone is offline', () => {
    expect(photoPlaceholder(told, { online: true, loading: true })).toBe('photo_loading');
  });

  it('is said in Vietnamese and English, neither of them the offline text', () => {
    const keys = ['photo_loading', 'photo_forbidden', 'photo_not_found', 'photo_load_failed'];
    for (const lang of /** @type {const} */ (['vi', 'en'])) {
      const catalogue = /** @type {Record<string, string>} */ (catalogues[lang]);
      for (const key of keys) {
        expect(catalogue[key]).toBeTruthy();
        expect(catalogue[key]).not.toBe(catalogue.photo_online_only);
      }
    }
  });
});
