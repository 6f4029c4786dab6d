/** Sign-in: once online; again when the server says the session has ended (outbox kept). */
import { useState } from 'preact/hooks';
import { api, db, sync } from '../app.js';
import { getMeta } from '../db.js';
import { t } from '../i18n.js';
import { OtherUserDataError, signIn } from '../session.js';
import { navigate, useLive, useOnline } from './hooks.js';

/** @param {{again?: boolean, username?: string}} props */
export function SignIn({ again = false, username: initialUser = '' }) {
  const [username, setUsername] = useState(initialUser);
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const online = useOnline();
  // Set when the server revoked this sign-in and the phone deleted what it had pulled.
  const signedOut = useLive(() => getMeta(db, 'signed_out'), []);

  const submit = async (/** @type {Event} */ e) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      await signIn(db, api, username.trim(), password);
      sync.clearSignIn();
      if (location.pathname !== '/') navigate('/', { replace: true });
      sync.syncNow();
    } catch (err) {
      const code = /** @type {any} */ (err)?.code;
      if (err instanceof OtherUserDataError) setError(t('other_user_data'));
      else if (code === 'invalid_credentials' || code === 'unauthorized')
        setError(t('invalid_credentials'));
      else if (code === 'too_many_attempts') setError(t('too_many_attempts'));
      else if (code === 'network' || code === 'timeout') setError(t('sign_in_offline'));
      else
        setError(t('sign_in_failed', { reason: /** @type {any} */ (err)?.message ?? String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class={again ? 'screen' : 'screen sign-in'}>
      {!again && <h1 class="app-title">{t('app_name')}</h1>}
      <h2>{again ? t('sign_in_again_button') : t('sign_in_title')}</h2>
      <p class="muted">{again ? t('sign_in_again') : t('sign_in_intro')}</p>
      {signedOut && (
        <p class="notice warn" role="status">
          {t('signed_out_here')}
        </p>
      )}
      {!online && <p class="notice warn">{t('sign_in_offline')}</p>}
      <form onSubmit={submit} noValidate>
        <div class="field">
          <label for="username">{t('username')}</label>
          <input
            id="username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            required
          />
        </div>
        <div class="field">
          <label for="password">{t('password')}</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </div>
        {error && (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !username || !password}>
          {t('sign_in')}
        </button>
      </form>
    </main>
  );
}
