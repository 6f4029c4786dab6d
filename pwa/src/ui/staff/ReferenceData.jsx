/**
 * Reference data (admin, §9): neighbourhoods, residential groups with their model-group status,
 * campaigns, and the units the plan sends out (ban ngành, đơn vị, đoàn thể). Written with the normal push (ids chosen here), read back from the server; a sync
 * afterwards brings the change to this device's pickers.
 */
import { useState } from 'preact/hooks';
import { db, sync } from '../../app.js';
import { t } from '../../i18n.js';
import { deviceId } from '../../session.js';
import { enumOptions } from '../fields.jsx';
import { ErrorNotice, StaffPage, errorText, staff, useLookups, useRemote } from './common.jsx';
import { displayValue, fieldSpecs } from './present.js';

const SECTIONS = [
  { collection: 'quarters', title: 'staff_quarters_title' },
  { collection: 'groups', title: 'staff_groups_title' },
  { collection: 'campaigns', title: 'staff_campaigns_title' },
  { collection: 'units', title: 'staff_units_title' },
];

/** @param {{user: any, path: string}} props */
export function ReferenceData({ user, path }) {
  return (
    <StaffPage user={user} path={path} title={t('staff_reference_title')}>
      {SECTIONS.map((s) => (
        <Section key={s.collection} collection={s.collection} title={t(s.title)} />
      ))}
    </StaffPage>
  );
}

/** Empty fields of a new reference record. @param {string} collection */
function blank(collection) {
  if (collection === 'groups') return { name: '', quarter_id: '', model_status: 'none' };
  if (collection === 'campaigns')
    return {
      name: '',
      starts_on: '',
      ends_on: '',
      launch_on: null,
      report_due_on: null,
      active: true,
    };
  if (collection === 'units') return { name: '', kind: '', active: true };
  return { code: '', name: '' };
}

/** @param {{collection: string, title: string}} props */
function Section({ collection, title }) {
  const list = useRemote(() => staff.records({ collection, limit: 500 }), [collection]);
  const lookups = useLookups();
  const [editing, setEditing] = useState(/** @type {string|null} */ (null));
  const specs = fieldSpecs(collection);
  const key = (/** @type {any} */ r) => String(r.fields[specs[0].name] ?? '');
  const rows = /** @type {any[]} */ (list.data?.records ?? [])
    .filter((r) => !r.deleted)
    .sort((a, b) => key(a).localeCompare(key(b), 'vi', { numeric: true }));
  return (
    <section class="panel" aria-label={title}>
      <div class="title-row">
        <h2>{title}</h2>
        <button type="button" class="secondary" onClick={() => setEditing('new')}>
          {t('staff_add')}
        </button>
      </div>
      <ErrorNotice error={list.error} />
      {editing === 'new' && (
        <RefForm
          collection={collection}
          record={null}
          onDone={() => {
            setEditing(null);
            list.reload();
          }}
        />
      )}
      <div class="staff-table-wrap">
        <table class="staff-table">
          <thead>
            <tr>
              {specs.map((s) => (
                <th key={s.name}>{t(s.label)}</th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) =>
              editing === r.id ? (
                <tr key={r.id}>
                  <td colSpan={specs.length + 1}>
                    <RefForm
                      collection={collection}
                      record={r}
                      onDone={() => {
                        setEditing(null);
                        list.reload();
                      }}
                    />
                  </td>
                </tr>
              ) : (
                <tr key={r.id}>
                  {specs.map((s) => (
                    <td key={s.name}>{displayValue(s, r.fields[s.name], lookups)}</td>
                  ))}
                  <td>
                    <button type="button" class="link" onClick={() => setEditing(r.id)}>
                      {t('staff_edit')}
                    </button>
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * Create or edit one reference record; an edit sends only the changed fields (a patch, §4).
 * @param {{collection: string, record: any|null, onDone: () => void}} props
 */
function RefForm({ collection, record, onDone }) {
  const [form, setForm] = useState(
    /** @type {Record<string, any>} */ (record ? { ...record.fields } : blank(collection)),
  );
  const [error, setError] = useState('');
  const { quarterList } = useLookups();
  const specs = fieldSpecs(collection);

  async function save(/** @type {Event} */ e) {
    e.preventDefault();
    /** @type {Record<string, any>} */
    const fields = {};
    for (const s of specs) {
      let v = form[s.name];
      if (s.kind === 'date' && v === '') v = null;
      if (!record || JSON.stringify(v) !== JSON.stringify(record.fields[s.name]))
        fields[s.name] = v;
    }
    try {
      const result = await staff.pushOne(await deviceId(db), {
        collection,
        id: record?.id,
        base_rev: record ? record.rev : null,
        fields,
      });
      if (result.status === 'rejected') {
        const errs = Object.entries(result.errors ?? {})
          .map(([k, v]) => `${k}: ${/** @type {string[]} */ (v).join(' ')}`)
          .join(' – ');
        return setError(t('server_said', { reason: errs || result.code }));
      }
      sync.syncNow();
      onDone();
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <form class="staff-filters" onSubmit={save}>
      {specs.map((s) => (
        <label key={s.name} class={s.kind === 'check' ? 'chip' : ''}>
          <span>{t(s.label)}</span>
          {s.kind === 'check' ? (
            <input
              type="checkbox"
              checked={!!form[s.name]}
              onChange={(e) => setForm({ ...form, [s.name]: e.currentTarget.checked })}
            />
          ) : s.options === 'quarters' ? (
            <select
              required
              value={form[s.name] ?? ''}
              onChange={(e) => setForm({ ...form, [s.name]: e.currentTarget.value })}
            >
              <option value="">{t('choose')}</option>
              {quarterList.map((q) => (
                <option key={q.id} value={q.id}>
                  {q.name}
                </option>
              ))}
            </select>
          ) : s.enumPrefix ? (
            <select
              required
              value={form[s.name]}
              onChange={(e) => setForm({ ...form, [s.name]: e.currentTarget.value })}
            >
              {form[s.name] === '' && <option value="">{t('choose')}</option>}
              {enumOptions(s.enumPrefix).map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          ) : (
            <input
              type={s.kind === 'date' ? 'date' : 'text'}
              required={s.name === 'name' || s.name === 'code' || /^(starts|ends)_on$/.test(s.name)}
              value={form[s.name] ?? ''}
              onInput={(e) => setForm({ ...form, [s.name]: e.currentTarget.value })}
            />
          )}
        </label>
      ))}
      <div class="actions">
        <button type="submit" class="primary">
          {t('save')}
        </button>
        <button type="button" onClick={onDone}>
          {t('cancel')}
        </button>
      </div>
      {error && (
        <p class="notice error wide" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
