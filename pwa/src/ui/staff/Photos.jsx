/**
 * Photos of records for supervisors and admins: thumbnails (each look is audited by the server)
 * and, on a click, the photo itself in a dialog. A photo not shown says why, in the field app's
 * words (loading, not available to this account, not on the server, could not be loaded).
 */
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { PHOTO_COLLECTIONS, serverPhotoPlaceholder } from '../../photos.js';
import { Dialog } from '../Dialog.jsx';
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
  // The index of the photo open in the viewer.
  const [open, setOpen] = useState(/** @type {number|null} */ (null));
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
              aria-describedby={`photo-note-${p.id}`}
              onClick={() => setOpen(i)}
            >
              <ServerImage
                id={p.id}
                thumb
                alt={t('photo_n', { n: i + 1 })}
                noteId={`photo-note-${p.id}`}
              />
            </button>
          </li>
        ))}
      </ul>
      {open !== null && photos[open] && (
        <PhotoViewer photo={photos[open]} n={open + 1} onClose={() => setOpen(null)} />
      )}
    </>
  );
}

/**
 * A photo from the server, or a placeholder that says why it is not shown (its name says it
 * too, and `noteId` lets the button around a thumbnail be described by it).
 * @param {{id: string, thumb?: boolean, alt: string, noteId?: string}} props
 */
function ServerImage({ id, thumb = false, alt, noteId }) {
  const [url, setUrl] = useState(/** @type {string|null} */ (null));
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(/** @type {unknown} */ (null));
  useEffect(() => {
    let alive = true;
    /** @type {string|null} */
    let made = null;
    setUrl(null);
    setError(null);
    setLoading(true);
    staff.photo(id, thumb).then(
      (blob) => {
        if (!alive) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
        setLoading(false);
      },
      (err) => {
        if (!alive) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      alive = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [id, thumb]);
  if (!url) {
    const note = t(serverPhotoPlaceholder({ loading, error }));
    return (
      <span class="photo-thumb missing" role="img" aria-label={`${alt}: ${note}`}>
        <span id={noteId}>{note}</span>
      </span>
    );
  }
  return <img class={thumb ? 'photo-thumb' : undefined} src={url} alt={alt} />;
}

/**
 * One photo at full size, in the shared dialog: focus moves in, Escape or Close closes it, and
 * focus goes back to the thumbnail that opened it.
 * @param {{photo: any, n: number, onClose: () => void}} props
 */
function PhotoViewer({ photo, n, onClose }) {
  return (
    <Dialog class="photo-viewer" title={t('photo_n', { n })} hideTitle onClose={onClose}>
      <ServerImage id={photo.id} alt={t('photo_n', { n })} />
      <p class="muted">
        {photo.uploaded_by?.name} · {photo.width}×{photo.height}
      </p>
      <div class="actions">
        <button type="button" class="secondary" onClick={onClose}>
          {t('staff_close')}
        </button>
      </div>
    </Dialog>
  );
}
