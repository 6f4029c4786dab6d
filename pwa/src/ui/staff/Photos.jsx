/**
 * Photos of records for supervisors and admins: thumbnails (each look is audited by the server)
 * and, on a click, the photo itself in a dialog.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { PHOTO_COLLECTIONS } from '../../photos.js';
import { staff, useRemote } from './common.jsx';

/**
 * The photos of these records, by record id (none for a collection without photos).
 * @param {string} collection
 * @param {string[]} ids
 * @returns {Map<string, any[]>}
 */
export function usePhotos(collection, ids) {
  const wanted = PHOTO_COLLECTIONS.includes(collection) && ids.length > 0;
  const found = useRemote(
    () => (wanted ? staff.photos(collection, ids) : Promise.resolve({ photos: [] })),
    [collection, ids.join(',')],
  );
  /** @type {Map<string, any[]>} */
  const byRecord = new Map();
  for (const photo of found.data?.photos ?? [])
    byRecord.set(photo.record_id, [...(byRecord.get(photo.record_id) ?? []), photo]);
  return byRecord;
}

/** @param {{photos: any[] | undefined}} props */
export function PhotoThumbs({ photos }) {
  const [open, setOpen] = useState(/** @type {any} */ (null));
  if (!photos?.length) return null;
  return (
    <>
      <ul class="photo-strip" aria-label={t('photos', { n: photos.length, max: 5 })}>
        {photos.map((p, i) => (
          <li key={p.id}>
            <button
              type="button"
              class="photo-open"
              aria-label={t('open_photo', { n: i + 1 })}
              onClick={() => setOpen(p)}
            >
              <ServerImage id={p.id} thumb alt={t('photo_n', { n: i + 1 })} />
            </button>
          </li>
        ))}
      </ul>
      {open && <PhotoViewer photo={open} onClose={() => setOpen(null)} />}
    </>
  );
}

/** @param {{id: string, thumb?: boolean, alt: string}} props */
function ServerImage({ id, thumb = false, alt }) {
  const [url, setUrl] = useState(/** @type {string|null} */ (null));
  useEffect(() => {
    let alive = true;
    /** @type {string|null} */
    let made = null;
    staff.photo(id, thumb).then(
      (blob) => {
        if (!alive) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      },
      () => {},
    );
    return () => {
      alive = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [id, thumb]);
  if (!url) return <span class="photo-thumb missing" role="img" aria-label={alt} />;
  return <img class={thumb ? 'photo-thumb' : undefined} src={url} alt={alt} />;
}

/** @param {{photo: any, onClose: () => void}} props */
function PhotoViewer({ photo, onClose }) {
  const ref = useRef(/** @type {HTMLDialogElement|null} */ (null));
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      class="photo-viewer"
      aria-label={t('photo_n', { n: '' }).trim()}
      onCancel={(e) => (e.preventDefault(), onClose())}
    >
      <ServerImage id={photo.id} alt={`${photo.width}×${photo.height}`} />
      <p class="muted">
        {photo.uploaded_by?.name} · {photo.width}×{photo.height}
      </p>
      <div class="actions">
        <button type="button" class="secondary" onClick={onClose}>
          {t('staff_close')}
        </button>
      </div>
    </dialog>
  );
}
