/**
 * Photos of a record in its form: the camera ("Thêm ảnh") or the gallery, each photo reduced in a
 * worker and kept on the phone as a draft of the form until it is saved; and a photo as an image,
 * from the phone or, once dropped from it or sent from another device, from the server when
 * online.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, db } from '../app.js';
import { isQuotaError } from '../db.js';
import { t } from '../i18n.js';
import {
  MAX_PHOTOS,
  addPhoto,
  photoPlaceholder,
  recordPhotos,
  reducePhoto,
  removePhoto,
} from '../photos.js';
import { useLive, useOnline } from './hooks.js';

/** @param {{collection: string, recordId: string}} props */
export function PhotoField({ collection, recordId }) {
  const photos = useLive(() => recordPhotos(db, collection, recordId), [recordId], []) ?? [];
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const camera = useRef(/** @type {HTMLInputElement|null} */ (null));
  const gallery = useRef(/** @type {HTMLInputElement|null} */ (null));

  const add = async (/** @type {HTMLInputElement} */ input) => {
    const files = Array.from(input.files ?? []).slice(0, MAX_PHOTOS - photos.length);
    input.value = '';
    setMessage('');
    setBusy(true);
    try {
      for (const file of files) {
        const reduced = await reducePhoto(file);
        await addPhoto(db, { collection, record: recordId, reduced, draft: true });
      }
    } catch (err) {
      setMessage(
        isQuotaError(err) ? t('storage_full') : t('photo_failed', { reason: String(err) }),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <fieldset class="field photos">
      <legend>{t('photos', { n: photos.length, max: MAX_PHOTOS })}</legend>
      {photos.length > 0 && (
        <ul class="photo-strip">
          {photos.map((p, i) => (
            <li key={p.id}>
              <PhotoImage photo={p} label={t('photo_n', { n: i + 1 })} />
              <span class="muted">
                {p.state === 'server' && p.by
                  ? t('photo_sent_by', { name: p.by })
                  : t(`photo_state.${p.state}`)}
              </span>
              {p.state !== 'uploaded' && p.state !== 'server' && (
                <button
                  type="button"
                  class="link"
                  onClick={() => removePhoto(db, p.id)}
                  aria-label={t('remove_photo', { n: i + 1 })}
                >
                  ✕
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {photos.length < MAX_PHOTOS && (
        <div class="actions wrap">
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() => camera.current?.click()}
          >
            {t('add_photo')}
          </button>
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() => gallery.current?.click()}
          >
            {t('photo_from_gallery')}
          </button>
          <input
            ref={camera}
            type="file"
            accept="image/*"
            capture="environment"
            hidden
            data-photo="camera"
            onChange={(e) => add(e.currentTarget)}
          />
          <input
            ref={gallery}
            type="file"
            accept="image/*"
            multiple
            hidden
            data-photo="gallery"
            onChange={(e) => add(e.currentTarget)}
          />
        </div>
      )}
      {busy && <p role="status">{t('photo_reducing')}</p>}
      {message && (
        <p class="notice error" role="alert">
          {message}
        </p>
      )}
    </fieldset>
  );
}

/**
 * A photo kept on the phone, or (its bytes dropped, or sent from another device) its thumbnail
 * from the server when online; otherwise a placeholder says why it is not shown: loading,
 * offline, or what the server answered (a photo this account may not see, one it does not have).
 * @param {{photo: import('../photos.js').Photo, label: string}} props
 */
export function PhotoImage({ photo, label }) {
  const [url, setUrl] = useState(/** @type {string|null} */ (null));
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const online = useOnline();
  useEffect(() => {
    let alive = true;
    /** @type {string|null} */
    let made = null;
    const show = (/** @type {Blob} */ blob) => {
      if (!alive) return;
      made = URL.createObjectURL(blob);
      setUrl(made);
      setLoading(false);
    };
    setUrl(null);
    setError(null);
    setLoading(false);
    if (photo.data) show(new Blob([photo.data], { type: photo.type }));
    else if (online) {
      setLoading(true);
      api.photo(photo.id, true).then(show, (err) => {
        if (!alive) return;
        setError(err);
        setLoading(false);
      });
    }
    return () => {
      alive = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [photo.id, !!photo.data, online]);
  if (!url) {
    // An image's children are not read out: the reason is part of its name as well.
    const reason = t(photoPlaceholder(photo, { online, loading, error }));
    return (
      <span class="photo-thumb missing" role="img" aria-label={`${label}: ${reason}`}>
        {reason}
      </span>
    );
  }
  return <img class="photo-thumb" src={url} alt={label} />;
}
