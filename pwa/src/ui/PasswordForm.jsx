/**
 * Change one's own password, in Settings (field staff and the staff console alike). Online only:
 * it goes straight to the server and is never queued; the server then signs out every other
 * device of the user, and this one stays signed in.
 */
import { useRef, useState } from 'preact/hooks';
import { api } from '../app.js';
import { t } from '../i18n.js';
import { MAX_PASSWORD, MIN_PASSWORD, passwordProblems, passwordRefusal } from '../password.js';
import { errorText } from './errors.js';
import { TextField } from './fields.jsx';
import { useOnline } from './hooks.js';

const EMPTY = { current: '', next: '', repeat: '' };

export function PasswordForm() {
  const online = useOnline();
  const [form, setForm] = useState(EMPTY);
  const [problems, setProblems] = useState(/** @type {import('../validate.js').Problems} */ ({}));
  const [message, setMessage] = useState('');
  const [changed, setChanged] = useState(false);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(/** @type {HTMLFormElement|null} */ (null));
  const changedRef = useRef(/** @type {HTMLParagraphElement|null} */ (null));

  const set = (/** @type {keyof typeof EMPTY} */ name) => (/** @type {string} */ value) => {
    setForm({ ...form, [name]: value });
    setChanged(false);
  };
  const focusProblem = () =>
    requestAnimationFrame(() =>
      formRef.current?.querySelector('input[aria-invalid="true"]')?.focus(),
    );

  const submit = async (/** @type {Event} */ e) => {
    e.preventDefault();
    setMessage('');
    setChanged(false);
    const found = passwordProblems(form);
    setProblems(found);
    if (Object.keys(found).length) return focusProblem();
    setBusy(true);
    try {
      await api.changePassword(form.current, form.next);
      setForm(EMPTY);
      setChanged(true);
      requestAnimationFrame(() => changedRef.current?.focus());
    } catch (err) {
      const refusal = passwordRefusal(/** @type {any} */ (err));
      setProblems(refusal.problems);
      if (refusal.message) setMessage(t(refusal.message, { reason: errorText(err) }));
      else focusProblem();
    } finally {
      setBusy(false);
    }
  };

  const field = (/** @type {keyof typeof EMPTY} */ name, /** @type {string} */ label) => ({
    name: `${name}_password`,
    label: t(label),
    type: 'password',
    required: true,
    maxLength: MAX_PASSWORD,
    value: form[name],
    onInput: set(name),
    problem: problems[name],
  });

  return (
    <section class="panel" aria-labelledby="change-password">
      <h2 id="change-password">{t('change_password')}</h2>
      <p class="muted">{t('change_password_intro')}</p>
      {!online && (
        <p class="notice warn" role="status">
          {t('password_needs_connection')}
        </p>
      )}
      <form ref={formRef} onSubmit={submit} noValidate>
        <p class="muted required-legend">{t('required_legend')}</p>
        <TextField {...field('current', 'current_password')} autoComplete="current-password" />
        <TextField
          {...field('next', 'new_password')}
          autoComplete="new-password"
          hint={t('new_password_hint', { min: MIN_PASSWORD })}
        />
        <TextField {...field('repeat', 'repeat_password')} autoComplete="new-password" />
        {message && (
          <p class="notice error" role="alert">
            {message}
          </p>
        )}
        {changed && (
          <p class="notice info" role="status" tabIndex={-1} ref={changedRef}>
            {t('password_changed')}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !online}>
          {t('change_password')}
        </button>
      </form>
    </section>
  );
}
