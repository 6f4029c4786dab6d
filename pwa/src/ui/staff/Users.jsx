/**
 * Users (admin, §9): create, change role, neighbourhoods and unit, deactivate, reset the password,
 * sign out every device (a lost phone), and see each user's devices and last sync.
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { formatDateTime } from '../../text.js';
import { values } from '../../vocabulary.js';
import { ErrorNotice, StaffPage, errorText, staff, useLookups, useRemote } from './common.jsx';

const ROLES = values('role');

/** @param {{user: any, path: string}} props */
export function Users({ user, path }) {
  const list = useRemote(() => staff.users(), []);
  const [open, setOpen] = useState(/** @type {string|null} */ (null));
  const [creating, setCreating] = useState(false);
  const lookups = useLookups();
  const users = /** @type {any[]} */ (list.data?.users ?? []);
  const codes = (/** @type {string[]} */ ids) =>
    ids.map((id) => lookups.quarterList.find((q) => q.id === id)?.code ?? id).join(', ');
  return (
    <StaffPage
      user={user}
      path={path}
      title={t('staff_users_title')}
      actions={
        <button type="button" class="primary" onClick={() => setCreating(!creating)}>
          {t('staff_new_user')}
        </button>
      }
    >
      {creating && (
        <UserForm
          onDone={() => {
            setCreating(false);
            list.reload();
          }}
        />
      )}
      <ErrorNotice error={list.error} />
      <div class="staff-table-wrap">
        <table class="staff-table">
          <thead>
            <tr>
              <th>{t('username')}</th>
              <th>{t('staff_display_name')}</th>
              <th>{t('staff_role')}</th>
              <th>{t('staff_quarters')}</th>
              <th>{t('unit')}</th>
              <th>{t('staff_state')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <>
                <tr key={u.id}>
                  <td>{u.username}</td>
                  <td>{u.display_name}</td>
                  <td>{t(`role.${u.role}`)}</td>
                  <td>{u.role === 'admin' ? t('staff_all_quarters') : codes(u.quarters)}</td>
                  <td>{u.unit_id ? (lookups.units.get(u.unit_id) ?? '') : ''}</td>
                  <td>{u.active ? t('staff_active') : t('staff_inactive')}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary"
                      aria-expanded={open === u.id}
                      aria-label={open === u.id ? undefined : `${t('staff_edit')} ${u.username}`}
                      onClick={() => setOpen(open === u.id ? null : u.id)}
                    >
                      {open === u.id ? t('staff_close') : t('staff_edit')}
                    </button>
                  </td>
                </tr>
                {open === u.id && (
                  <tr key={`${u.id}-edit`}>
                    <td colSpan={7}>
                      <UserPanel subject={u} onChanged={list.reload} />
                    </td>
                  </tr>
                )}
              </>
            ))}
          </tbody>
        </table>
      </div>
    </StaffPage>
  );
}

/**
 * A field or supervisor user without a neighbourhood could see nothing: the server refuses it
 * (422), and so does the form, before sending.
 * @param {{role: string, quarters: string[]}} form
 */
function needsQuarter(form) {
  return form.role !== 'admin' && form.quarters.length === 0;
}

/** Neighbourhood checkboxes. @param {{value: string[], onInput: (v: string[]) => void}} props */
function QuarterChecks({ value, onInput }) {
  const { quarterList } = useLookups();
  return (
    <fieldset class="field checks">
      <legend>{t('staff_quarters')}</legend>
      <div class="staff-filters">
        {quarterList.map((q) => (
          <label key={q.id} class="chip">
            <input
              type="checkbox"
              checked={value.includes(q.id)}
              onChange={(e) =>
                onInput(
                  e.currentTarget.checked ? [...value, q.id] : value.filter((x) => x !== q.id),
                )
              }
            />
            {q.name}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/**
 * The unit a user works for: the active units, and the user's own even if it was closed since.
 * @param {{value: string|null, onInput: (v: string|null) => void}} props
 */
function UnitSelect({ value, onInput }) {
  const { unitList } = useLookups();
  return (
    <label>
      <span>{t('unit')}</span>
      <select value={value ?? ''} onChange={(e) => onInput(e.currentTarget.value || null)}>
        <option value="">{t('staff_no_unit')}</option>
        {unitList
          .filter((u) => u.active !== false || u.id === value)
          .map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
      </select>
    </label>
  );
}

/** A new user. @param {{onDone: () => void}} props */
function UserForm({ onDone }) {
  const [form, setForm] = useState({
    username: '',
    display_name: '',
    password: '',
    role: 'field',
    quarters: /** @type {string[]} */ ([]),
    unit_id: /** @type {string|null} */ (null),
  });
  const [error, setError] = useState(/** @type {any} */ (null));
  const set = (/** @type {string} */ k, /** @type {any} */ v) => setForm({ ...form, [k]: v });
  async function submit(/** @type {Event} */ e) {
    e.preventDefault();
    if (form.password.length < 8) return setError({ message: t('staff_password_short') });
    if (needsQuarter(form)) return setError({ message: t('staff_needs_quarter') });
    try {
      await staff.createUser(form);
      onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="panel" onSubmit={submit} aria-label={t('staff_new_user')}>
      <div class="staff-filters">
        <label>
          <span>{t('username')}</span>
          <input
            required
            value={form.username}
            onInput={(e) => set('username', e.currentTarget.value)}
          />
        </label>
        <label>
          <span>{t('staff_display_name')}</span>
          <input
            required
            value={form.display_name}
            onInput={(e) => set('display_name', e.currentTarget.value)}
          />
        </label>
        <label>
          <span>{t('password')}</span>
          <input
            type="password"
            autoComplete="new-password"
            value={form.password}
            onInput={(e) => set('password', e.currentTarget.value)}
          />
        </label>
        <label>
          <span>{t('staff_role')}</span>
          <select value={form.role} onChange={(e) => set('role', e.currentTarget.value)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <UnitSelect value={form.unit_id} onInput={(v) => set('unit_id', v)} />
      </div>
      {form.role !== 'admin' && (
        <QuarterChecks value={form.quarters} onInput={(v) => set('quarters', v)} />
      )}
      {error && (
        <p class="notice error" role="alert">
          {error.status !== undefined ? errorText(error) : error.message}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary">
          {t('staff_create')}
        </button>
      </div>
    </form>
  );
}

/**
 * One user's settings, password, sign-out and devices.
 * @param {{subject: any, onChanged: () => void}} props
 */
function UserPanel({ subject, onChanged }) {
  const [form, setForm] = useState({
    display_name: subject.display_name,
    role: subject.role,
    quarters: /** @type {string[]} */ (subject.quarters ?? []),
    unit_id: /** @type {string|null} */ (subject.unit_id ?? null),
  });
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState('');
  const [error, setError] = useState(/** @type {any} */ (null));
  const devices = useRemote(() => staff.devices(subject.id), [subject.id]);

  async function run(/** @type {() => Promise<string>} */ fn) {
    setMessage('');
    setError(null);
    try {
      setMessage(await fn());
      onChanged();
      devices.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <div class="user-panel">
      <div class="staff-filters">
        <label>
          <span>{t('staff_display_name')}</span>
          <input
            value={form.display_name}
            onInput={(e) => setForm({ ...form, display_name: e.currentTarget.value })}
          />
        </label>
        <label>
          <span>{t('staff_role')}</span>
          <select
            value={form.role}
            onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <UnitSelect value={form.unit_id} onInput={(v) => setForm({ ...form, unit_id: v })} />
      </div>
      {form.role !== 'admin' && (
        <QuarterChecks value={form.quarters} onInput={(v) => setForm({ ...form, quarters: v })} />
      )}
      <div class="actions wrap">
        <button
          type="button"
          class="primary"
          onClick={() =>
            needsQuarter(form)
              ? setError({ message: t('staff_needs_quarter') })
              : run(async () => {
                  // The unit goes only when changed: a unit closed since stays the user's until then.
                  const { unit_id, ...rest } = form;
                  const changed = unit_id !== (subject.unit_id ?? null);
                  await staff.updateUser(subject.id, changed ? form : rest);
                  return t('staff_saved');
                })
          }
        >
          {t('save')}
        </button>
        <button
          type="button"
          class="danger"
          onClick={() =>
            run(async () => {
              await staff.updateUser(subject.id, { active: !subject.active });
              return t('staff_saved');
            })
          }
        >
          {subject.active ? t('staff_deactivate') : t('staff_activate')}
        </button>
        <button
          type="button"
          class="danger"
          onClick={() => {
            if (!confirm(t('staff_confirm_sign_out_all', { name: subject.display_name }))) return;
            run(async () => {
              const { revoked } = await staff.revokeTokens(subject.id);
              return t('staff_signed_out_n', { n: revoked });
            });
          }}
        >
          {t('staff_sign_out_all')}
        </button>
      </div>
      <div class="actions wrap">
        <label class="field">
          <span class="label">{t('staff_new_password')}</span>
          <input
            type="password"
            autoComplete="new-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            if (password.length < 8) return setError({ message: t('staff_password_short') });
            run(async () => {
              await staff.updateUser(subject.id, { password });
              setPassword('');
              return t('staff_saved');
            });
          }}
        >
          {t('staff_reset_password')}
        </button>
      </div>
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {error && (
        <p class="notice error" role="alert">
          {error.status !== undefined ? errorText(error) : error.message}
        </p>
      )}
      <h3>{t('staff_devices')}</h3>
      <ErrorNotice error={devices.error} />
      {devices.data && devices.data.devices.length === 0 && (
        <p class="muted">{t('staff_no_devices')}</p>
      )}
      {devices.data && devices.data.devices.length > 0 && (
        <div class="staff-table-wrap">
          <table class="staff-table" aria-label={t('staff_devices')}>
            <thead>
              <tr>
                <th>{t('staff_devices')}</th>
                <th>{t('staff_signed_in_at')}</th>
                <th>{t('staff_last_used')}</th>
                <th>{t('staff_last_sync')}</th>
                <th>{t('staff_state')}</th>
                <th>{t('staff_action')}</th>
              </tr>
            </thead>
            <tbody>
              {devices.data.devices.map((/** @type {any} */ d, /** @type {number} */ i) => (
                <tr key={`${d.device_id}-${i}`}>
                  <td>
                    {d.device_label}
                    {d.device_id && d.device_id !== d.device_label && (
                      <div class="muted">{d.device_id}</div>
                    )}
                  </td>
                  <td>{formatDateTime(d.signed_in_at)}</td>
                  <td>{formatDateTime(d.last_used_at)}</td>
                  <td>{formatDateTime(d.last_sync_at) || t('staff_empty')}</td>
                  <td>{d.active ? t('staff_device_active') : t('staff_device_revoked')}</td>
                  <td>
                    {d.active && d.device_id && (
                      <button
                        type="button"
                        class="danger"
                        onClick={() => {
                          const device = d.device_label;
                          const ask = { name: subject.display_name, device };
                          if (!confirm(t('staff_confirm_sign_out_device', ask))) return;
                          run(async () => {
                            const { revoked } = await staff.revokeDevice(subject.id, d.device_id);
                            return t('staff_signed_out_n', { n: revoked });
                          });
                        }}
                      >
                        {t('staff_sign_out_device')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
