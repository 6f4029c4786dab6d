/**
 * Settings: language, who is signed in, sign out (never deleting unsent changes without asking),
 * change one's password, storage use (and dropping photos the server already has), whether
 * the browser keeps the app's storage, the version.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, db } from '../app.js';
import { setMeta } from '../db.js';
import { language, t } from '../i18n.js';
import { countWaiting } from '../outbox.js';
import { dropUploadedPhotos, photoStorage } from '../photos.js';
import { fileSize } from '../text.js';
import { exportUnsent, signOut } from '../session.js';
import { navigate, useLive } from './hooks.js';
import { PasswordForm } from './PasswordForm.jsx';

/** @param {{user: any, onLanguage: (lang: 'vi'|'en') => void}} props */
export function Settings({ user, onLanguage }) {
  const waiting = useLive(() => countWaiting(db), [], 0) ?? 0;
  const [confirming, setConfirming] = useState(false);
  const [persisted, setPersisted] = useState(/** @type {boolean|null} */ (null));
  const photos = useLive(() => photoStorage(db), [], null);
  const [usage, setUsage] = useState(/** @type {StorageEstimate|null} */ (null));
  const [freed, setFreed] = useState(/** @type {number|null} */ (null));
  useEffect(() => {
    navigator.storage?.persisted?.().then(setPersisted, () => {});
    navigator.storage?.estimate?.().then(setUsage, () => {});
  }, [freed]);

  const dropPhotos = async () => {
    if (!confirm(t('confirm_drop_photos'))) return;
    setFreed(await dropUploadedPhotos(db));
  };

  const saveFile = async () => {
    const blob = new Blob([await exportUnsent(db)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `doorstep-unsent-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  const out = async (/** @type {boolean} */ force) => {
    if (!force && waiting > 0) return setConfirming(true);
    await signOut(db, api, { force });
    navigate('/', { replace: true });
  };

  return (
    <main class="screen">
      <h1>{t('settings')}</h1>
      <div class="field">
        <label for="language">{t('language')}</label>
        <select
          id="language"
          value={language()}
          onChange={async (e) => {
            const lang = /** @type {'vi'|'en'} */ (e.currentTarget.value);
            await setMeta(db, 'lang', lang);
            onLanguage(lang);
          }}
        >
          <option value="vi">Tiếng Việt</option>
          <option value="en">English</option>
        </select>
      </div>
      <section class="panel">
        <p>
          {t('signed_in_as', {
            name: user.display_name || user.username,
            role: t(`role.${user.role}`),
          })}
        </p>
        {confirming && waiting > 0 ? (
          <div class="notice warn" role="alert">
            <p>{t('sign_out_unsynced', { n: waiting })}</p>
            <div class="actions wrap">
              <button type="button" class="primary" onClick={saveFile}>
                {t('export_unsynced')}
              </button>
              <button type="button" class="danger" onClick={() => out(true)}>
                {t('sign_out_anyway')}
              </button>
              <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                {t('cancel')}
              </button>
            </div>
          </div>
        ) : (
          <button type="button" class="secondary" onClick={() => out(false)}>
            {t('sign_out')}
          </button>
        )}
      </section>
      <PasswordForm />
      <section class="panel" aria-label={t('storage')}>
        <h2>{t('storage')}</h2>
        {usage?.quota ? (
          <p>
            {t('storage_used', {
              used: fileSize(usage.usage ?? 0),
              quota: fileSize(usage.quota),
            })}
          </p>
        ) : null}
        {photos && <p>{t('storage_photos', { n: photos.count, size: fileSize(photos.bytes) })}</p>}
        {photos && photos.uploadedCount > 0 && (
          <button type="button" class="secondary" onClick={dropPhotos}>
            {t('drop_uploaded_photos', {
              n: photos.uploadedCount,
              size: fileSize(photos.uploadedBytes),
            })}
          </button>
        )}
        {freed !== null && <p role="status">{t('photos_dropped', { size: fileSize(freed) })}</p>}
        {persisted !== null && (
          <p>{persisted ? t('storage_persistent') : t('storage_not_persistent')}</p>
        )}
      </section>
      <p class="muted">{t('version', { v: __APP_VERSION__ })}</p>
    </main>
  );
}
