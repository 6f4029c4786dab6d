/**
 * The admin's conflict inbox (§6): every open conflict with, per field, the base, the server's and
 * the device's values side by side, a choice per field (keep server, take device, type a value),
 * the delete cases, and a plain message when the record changed meanwhile. Resolved conflicts stay
 * listed with who resolved them and how.
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { formatDateTime } from '../../text.js';
import { enumOptions } from '../fields.jsx';
import { Link } from '../Link.jsx';
import { ErrorNotice, StaffPage, errorText, staff, useLookups, useRemote } from './common.jsx';
import {
  canType,
  displayValue,
  fieldLabel,
  fieldSpec,
  inFormOrder,
  recordTitle,
  resolveBody,
} from './present.js';

/** @param {{user: any, path: string}} props */
export function ConflictInbox({ user, path }) {
  const [status, setStatus] = useState(/** @type {'open'|'resolved'} */ ('open'));
  const list = useRemote(() => staff.conflicts(status), [status]);
  const conflicts = /** @type {any[]} */ (list.data?.conflicts ?? []);
  return (
    <StaffPage user={user} path={path} title={t('staff_conflicts_title')}>
      <div class="staff-toolbar" role="tablist">
        {
          /** @type {const} */ (['open', 'resolved']).map((s) => (
            <button
              key={s}
              type="button"
              role="tab"
              aria-selected={status === s}
              class={status === s ? 'primary' : ''}
              onClick={() => setStatus(s)}
            >
              {t(s === 'open' ? 'staff_open' : 'staff_resolved')}
              {status === s && list.data ? ` (${conflicts.length})` : ''}
            </button>
          ))
        }
      </div>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data && <p class="muted">{t('staff_loading')}</p>}
      {list.data && conflicts.length === 0 && <p class="muted">{t('staff_no_conflicts')}</p>}
      {conflicts.map((c) =>
        c.status === 'open' ? (
          <OpenConflict key={c.id} conflict={c} onResolved={list.reload} />
        ) : (
          <ResolvedConflict key={c.id} conflict={c} />
        ),
      )}
    </StaffPage>
  );
}

/** Who sent the device's side, and when. @param {{conflict: any}} props */
function Sender({ conflict }) {
  return (
    <p class="muted">
      {t('staff_sent_by', {
        name: conflict.op?.user?.name ?? '',
        device: conflict.op?.device_id ?? '',
        at: formatDateTime(conflict.op?.client_time) || '—',
        received: formatDateTime(conflict.op?.received_at),
      })}
    </p>
  );
}

/** @param {{conflict: any, onResolved: () => void}} props */
function OpenConflict({ conflict, onResolved }) {
  const lookups = useLookups();
  // The record as it stands now: its title, and who made the server's side.
  const current = useRemote(
    () => staff.record(conflict.collection, conflict.record_id),
    [conflict.id],
  );
  const record = current.data;
  /** @type {[Record<string, import('./present.js').FieldChoice>, any]} */
  const [choices, setChoices] = useState({});
  const [deleted, setDeleted] = useState(/** @type {boolean|null} */ (null));
  const [problem, setProblem] = useState('');
  const [error, setError] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);
  const isDelete = conflict.kind !== 'fields';
  const names = inFormOrder(conflict.collection, Object.keys(conflict.fields ?? {}));

  const choose = (/** @type {string} */ name, /** @type {any} */ patch) =>
    setChoices((c) => ({ ...c, [name]: { ...(c[name] ?? { pick: '' }), ...patch } }));

  async function resolve() {
    const made = resolveBody(conflict, { fields: choices, deleted });
    if (!made.ok) {
      const parts = [];
      if (made.deletedMissing) parts.push(t('staff_choose_deleted'));
      if (made.missing.length)
        parts.push(
          t('staff_choose_all', {
            fields: made.missing.map((n) => fieldLabel(conflict.collection, n)).join(', '),
          }),
        );
      if (made.invalid.length)
        parts.push(
          t('staff_invalid_value', {
            fields: made.invalid.map((n) => fieldLabel(conflict.collection, n)).join(', '),
          }),
        );
      return setProblem(parts.join(' '));
    }
    setProblem('');
    setError(null);
    setBusy(true);
    try {
      await staff.resolve(conflict.id, made.body.choices, made.body.deleted);
      onResolved();
    } catch (err) {
      setError(err);
      if (/** @type {any} */ (err).code === 'conflict_stale') current.reload();
    } finally {
      setBusy(false);
    }
  }

  const stale = error?.code === 'conflict_stale';
  return (
    <section class="conflict-card" aria-label={t('staff_conflicts_title')}>
      <h2>
        {t(`staff_collection.${conflict.collection}`)}:{' '}
        {record ? recordTitle(record, lookups) : conflict.record_id}
      </h2>
      <p class="badges">
        <span class="badge conflict">{t(`staff_conflict_kind.${conflict.kind}`)}</span>
        <span class="muted">{formatDateTime(conflict.created_at)}</span>
        <Link href={`/review/${conflict.collection}/${conflict.record_id}`}>
          {t('staff_open_record')}
        </Link>
      </p>
      <Sender conflict={conflict} />
      {record && (
        <p class="muted">
          {t('staff_server_by', {
            name: record.meta?.updated_by?.name ?? '',
            at: formatDateTime(record.meta?.updated_at),
          })}
        </p>
      )}
      {isDelete && (
        <fieldset class="field choice">
          <legend>{t('staff_record_end')}</legend>
          <label>
            <input
              type="radio"
              name={`deleted-${conflict.id}`}
              checked={deleted === false}
              onChange={() => setDeleted(false)}
            />
            {conflict.kind === 'delete_vs_edit'
              ? t('staff_keep_record')
              : t('staff_restore_record')}
          </label>
          <label>
            <input
              type="radio"
              name={`deleted-${conflict.id}`}
              checked={deleted === true}
              onChange={() => setDeleted(true)}
            />
            {conflict.kind === 'delete_vs_edit'
              ? t('staff_delete_record')
              : t('staff_keep_deleted')}
          </label>
        </fieldset>
      )}
      {names.length > 0 && (
        <div class="staff-table-wrap">
          <table class="staff-table">
            <thead>
              <tr>
                <th>{t('staff_field')}</th>
                <th>{t('staff_base')}</th>
                <th>{t('staff_server_value')}</th>
                <th>{t('staff_device_value')}</th>
                <th>{t('staff_choice')}</th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => {
                const f = conflict.fields[name];
                const spec = fieldSpec(conflict.collection, name);
                const c = choices[name] ?? { pick: '' };
                const label = fieldLabel(conflict.collection, name);
                const group = `pick-${conflict.id}-${name}`;
                return (
                  <tr key={name}>
                    <th scope="row">{label}</th>
                    <td>{displayValue(spec, f.base, lookups)}</td>
                    <td class={c.pick === 'server' ? 'value-chosen' : ''}>
                      {displayValue(spec, f.server, lookups)}
                    </td>
                    <td class={c.pick === 'client' ? 'value-chosen' : ''}>
                      {displayValue(spec, f.client, lookups)}
                    </td>
                    <td>
                      <div class="choice" role="radiogroup" aria-label={label}>
                        <label>
                          <input
                            type="radio"
                            name={group}
                            checked={c.pick === 'server'}
                            onChange={() => choose(name, { pick: 'server' })}
                          />
                          {t('staff_keep_server')}
                        </label>
                        <label>
                          <input
                            type="radio"
                            name={group}
                            checked={c.pick === 'client'}
                            onChange={() => choose(name, { pick: 'client' })}
                          />
                          {t('staff_take_device')}
                        </label>
                        {canType(spec) && (
                          <label>
                            <input
                              type="radio"
                              name={group}
                              checked={c.pick === 'value'}
                              onChange={() =>
                                choose(name, {
                                  pick: 'value',
                                  text: c.text ?? typedStart(spec, f.server),
                                })
                              }
                            />
                            {t('staff_type_value')}
                          </label>
                        )}
                        {c.pick === 'value' && (
                          <TypedInput
                            spec={spec}
                            label={t('staff_typed_value', { field: label })}
                            value={c.text ?? ''}
                            onInput={(text) => choose(name, { text })}
                          />
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {problem && (
        <p class="notice error" role="alert">
          {problem}
        </p>
      )}
      {error && (
        <p class="notice error" role="alert">
          {stale ? t('staff_conflict_stale') : errorText(error)}
        </p>
      )}
      <div class="actions">
        <button type="button" class="primary" disabled={busy} onClick={resolve}>
          {t('staff_resolve')}
        </button>
        {stale && (
          <button type="button" onClick={onResolved}>
            {t('staff_reload')}
          </button>
        )}
      </div>
    </section>
  );
}

/** The text a typed value starts from: the server's value, as the admin would type it. */
function typedStart(/** @type {any} */ spec, /** @type {any} */ value) {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join('\n');
  return String(value);
}

/**
 * An input for a typed value that fits the field: a list of words for an enum, yes/no, or text.
 * @param {{spec: any, label: string, value: string, onInput: (v: string) => void}} props
 */
function TypedInput({ spec, label, value, onInput }) {
  if (spec.enumPrefix || spec.kind === 'check') {
    const options =
      spec.kind === 'check'
        ? [
            { value: 'true', label: t('staff_yes') },
            { value: 'false', label: t('staff_no') },
          ]
        : enumOptions(spec.enumPrefix);
    return (
      <select aria-label={label} value={value} onChange={(e) => onInput(e.currentTarget.value)}>
        <option value="">{t('choose')}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      type="text"
      aria-label={label}
      value={value}
      onInput={(e) => onInput(e.currentTarget.value)}
    />
  );
}

/** A resolved conflict: who, when, and the choice made for each field. @param {{conflict: any}} props */
function ResolvedConflict({ conflict }) {
  const lookups = useLookups();
  const resolution = conflict.resolution ?? {};
  const picks = resolution.choices ?? {};
  return (
    <section class="conflict-card resolved">
      <h2>
        {t(`staff_collection.${conflict.collection}`)} ·{' '}
        <Link href={`/review/${conflict.collection}/${conflict.record_id}`}>
          {t('staff_open_record')}
        </Link>
      </h2>
      <p class="badges">
        <span class="badge">{t(`staff_conflict_kind.${conflict.kind}`)}</span>
        <span class="badge review-approved">
          {t('staff_resolved_by', {
            name: conflict.resolved_by?.name ?? '',
            at: formatDateTime(conflict.resolved_at),
          })}
        </span>
      </p>
      <Sender conflict={conflict} />
      <ul class="plain">
        {inFormOrder(conflict.collection, Object.keys(conflict.fields ?? {})).map((name) => {
          const pick = picks[name];
          const spec = fieldSpec(conflict.collection, name);
          const how =
            pick && typeof pick === 'object'
              ? t('staff_pick.value', { v: displayValue(spec, pick.value, lookups) })
              : pick
                ? `${t(`staff_pick.${pick}`)} (${displayValue(
                    spec,
                    conflict.fields[name][pick],
                    lookups,
                  )})`
                : '—';
          return (
            <li key={name}>
              <strong>{fieldLabel(conflict.collection, name)}</strong>: {how}
            </li>
          );
        })}
        {conflict.kind !== 'fields' && typeof resolution.deleted === 'boolean' && (
          <li>{resolution.deleted ? t('staff_ended_deleted') : t('staff_ended_kept')}</li>
        )}
      </ul>
    </section>
  );
}
