/**
 * Import households (admin): the town's register from a spreadsheet. Download the template,
 * choose an XLSX or CSV file, read the server's preview (rows to add, rows already on the
 * register to skip or update, rows with errors), then apply it. The file is sent again to apply,
 * with the preview's digest: the server refuses it if the file or the register changed since.
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { Pager, StaffPage, errorText, saveFile, staff, useLookups } from './common.jsx';
import { displayValue, fieldLabel, fieldSpec } from './present.js';
import './import.css';

const PAGE = 50;
/** The template's columns, in its order, as the preview's `values` name them. */
const COLUMNS = [
  'quarter',
  'group',
  'head_name',
  'address',
  'phone',
  'members_count',
  'categories',
  'notes',
];
const FILTERS = /** @type {const} */ (['all', 'add', 'match', 'error']);
const ACCEPT =
  '.xlsx,.csv,.txt,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * A refused file in words: the reason the server gave, in the app's language.
 * @param {any} error
 */
function importErrorText(error) {
  const reason = error?.details?.reason;
  const key = `import_reason.${reason}`;
  if (!reason || t(key) === key) return errorText(error);
  const columns = Array.isArray(error.details.columns) ? error.details.columns.join(', ') : '';
  return t(key, { columns, max: (error.details.max_rows ?? 50000).toLocaleString('vi-VN') });
}

/** @param {{user: any, path: string}} props */
export function ImportHouseholds({ user, path }) {
  const [file, setFile] = useState(/** @type {File|null} */ (null));
  const [busy, setBusy] = useState(/** @type {null|'reading'|'applying'} */ (null));
  const [preview, setPreview] = useState(/** @type {any} */ (null));
  const [outcome, setOutcome] = useState(/** @type {any} */ (null));
  const [error, setError] = useState(/** @type {any} */ (null));
  const [matches, setMatches] = useState(/** @type {'skip'|'update'} */ ('skip'));

  async function read(/** @type {File} */ chosen) {
    setFile(chosen);
    setPreview(null);
    setOutcome(null);
    setError(null);
    setBusy('reading');
    try {
      setPreview(await staff.previewImport(chosen));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  async function apply() {
    if (!file || !preview) return;
    setError(null);
    setBusy('applying');
    try {
      setOutcome(await staff.applyImport(file, preview.digest, matches));
      setPreview(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  return (
    <StaffPage user={user} path={path} title={t('import_title')}>
      <section class="panel" aria-label={t('import_file')}>
        <p>{t('import_intro')}</p>
        <div class="import-actions">
          <DownloadButton label={t('import_template')} get={() => staff.importTemplate()} />
          <label class="import-file">
            {t('import_choose')}
            <input
              type="file"
              accept={ACCEPT}
              disabled={busy !== null}
              onChange={(e) => {
                const chosen = e.currentTarget.files?.[0];
                e.currentTarget.value = ''; // the same file again reads it again
                if (chosen) read(chosen);
              }}
            />
          </label>
        </div>
        {file && (
          <p class="muted">
            {t('import_chosen', { name: file.name })}
            {preview && ` · ${preview.file.format.toUpperCase()}`}
            {preview?.file.encoding && ` · ${preview.file.encoding}`}
            {preview?.file.sheet && ` · ${t('import_sheet', { name: preview.file.sheet })}`}
          </p>
        )}
        {busy === 'reading' && (
          <p role="status">
            <progress aria-label={t('import_reading')} /> {t('import_reading')}
          </p>
        )}
      </section>
      {error && (
        <div class="notice error" role="alert">
          <p>{importErrorText(error)}</p>
          {error.code === 'preview_stale' && file && (
            <button type="button" class="secondary" onClick={() => read(file)}>
              {t('import_preview_again')}
            </button>
          )}
        </div>
      )}
      {preview && file && (
        <Preview
          preview={preview}
          file={file}
          matches={matches}
          onMatches={setMatches}
          applying={busy === 'applying'}
          onApply={apply}
        />
      )}
      {outcome && (
        <Outcome
          outcome={outcome}
          onAgain={() => {
            setOutcome(null);
            setFile(null);
          }}
        />
      )}
    </StaffPage>
  );
}

/**
 * A button that downloads a file and saves it, saying when that failed.
 * @param {{label: string, get: () => Promise<{blob: Blob, filename: string}>}} props
 */
function DownloadButton({ label, get }) {
  const [state, setState] = useState(/** @type {null|'busy'|{error: string}} */ (null));
  async function run() {
    setState('busy');
    try {
      const { blob, filename } = await get();
      saveFile(blob, filename);
      setState(null);
    } catch (err) {
      setState({ error: errorText(err) });
    }
  }
  return (
    <>
      <button type="button" class="secondary" disabled={state === 'busy'} onClick={run}>
        {label}
      </button>
      {state && typeof state === 'object' && (
        <span role="alert" class="field-error">
          {state.error}
        </span>
      )}
    </>
  );
}

/**
 * The preview: what the file holds and what applying it would do.
 * @param {{preview: any, file: File, matches: 'skip'|'update', onMatches: (m: 'skip'|'update') => void,
 *   applying: boolean, onApply: () => void}} props
 */
function Preview({ preview, file, matches, onMatches, applying, onApply }) {
  const counts = preview.counts;
  const [filter, setFilter] = useState(
    /** @type {(typeof FILTERS)[number]} */ (counts.error ? 'error' : 'all'),
  );
  const [page, setPage] = useState(0);
  const rows = /** @type {any[]} */ (preview.rows).filter(
    (r) => filter === 'all' || r.action === filter,
  );
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  const writes = counts.add + (matches === 'update' ? counts.changed : 0);
  const present = new Set(preview.columns.map((/** @type {any} */ c) => c.column));
  const shown = COLUMNS.filter((c) => present.has(c));
  const lookups = useLookups();
  return (
    <section class="panel" aria-label={t('import_preview')}>
      <h2>{t('import_preview')}</h2>
      <ul class="import-counts" role="status" aria-label={t('import_counts')}>
        <li>{t('import_count_rows', { n: counts.rows })}</li>
        <li class="add">{t('import_count_add', { n: counts.add })}</li>
        <li class="match">
          {t('import_count_match', { n: counts.match, changed: counts.changed })}
        </li>
        <li class={counts.error ? 'error' : ''}>{t('import_count_error', { n: counts.error })}</li>
      </ul>
      {preview.unknown_columns.length > 0 && (
        <p class="notice warn">
          {t('import_unknown_columns', { columns: preview.unknown_columns.join(', ') })}
        </p>
      )}
      {preview.missing_columns.length > 0 && (
        <p class="muted">
          {t('import_missing_columns', { columns: preview.missing_columns.join(', ') })}
        </p>
      )}
      {preview.notices.map((/** @type {string} */ n) => (
        <p key={n} class="muted">
          {n}
        </p>
      ))}
      {counts.error > 0 && (
        <div class="notice warn">
          <p>{t('import_errors_left_out', { n: counts.error })}</p>
          <DownloadButton
            label={t('import_errors_download')}
            get={() => staff.importErrors(file)}
          />
        </div>
      )}
      {counts.match > 0 && (
        <fieldset class="import-matches">
          <legend>{t('import_matches', { n: counts.match })}</legend>
          <label>
            <input
              type="radio"
              name="matches"
              checked={matches === 'skip'}
              onChange={() => onMatches('skip')}
            />{' '}
            {t('import_matches_skip')}
          </label>
          <label>
            <input
              type="radio"
              name="matches"
              checked={matches === 'update'}
              onChange={() => onMatches('update')}
            />{' '}
            {t('import_matches_update', { n: counts.changed })}
          </label>
        </fieldset>
      )}
      <div class="actions">
        <button type="button" class="primary" disabled={applying || writes === 0} onClick={onApply}>
          {t('import_apply', { n: writes })}
        </button>
      </div>
      {applying && (
        <p role="status">
          <progress aria-label={t('import_applying', { n: writes })} />{' '}
          {t('import_applying', { n: writes })}
        </p>
      )}

      <div class="staff-toolbar" role="tablist" aria-label={t('import_show')}>
        {FILTERS.map((f) => (
          <button
            key={f}
            type="button"
            role="tab"
            aria-selected={filter === f}
            class={filter === f ? 'primary' : ''}
            onClick={() => {
              setFilter(f);
              setPage(0);
            }}
          >
            {t(`import_filter.${f}`, {
              n: f === 'all' ? counts.rows : counts[f === 'error' ? 'error' : f],
            })}
          </button>
        ))}
      </div>
      <div class="staff-table-wrap">
        <table class="staff-table import-rows">
          <thead>
            <tr>
              <th class="num">{t('import_row')}</th>
              {shown.map((c) => (
                <th key={c}>{t(`import_column.${c}`)}</th>
              ))}
              <th>{t('import_outcome')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(page * PAGE, (page + 1) * PAGE).map((r) => (
              <tr key={r.row} class={`import-${r.action}`}>
                <td class="num">{r.row}</td>
                {shown.map((c) => (
                  <td key={c}>{r.values[c]}</td>
                ))}
                <td>
                  <RowOutcome row={r} lookups={lookups} matches={matches} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pages > 1 && <Pager page={page} pages={pages} onPage={setPage} />}
    </section>
  );
}

/**
 * What becomes of one row: added, matched (and what an update changes), or its errors.
 * @param {{row: any, lookups: any, matches: 'skip'|'update'}} props
 */
function RowOutcome({ row, lookups, matches }) {
  const changes = Object.entries(row.changes ?? {});
  return (
    <>
      <strong>{t(`import_action.${row.action}`)}</strong>
      {row.action === 'match' && (
        <span class="muted">
          {' '}
          {changes.length === 0
            ? t('import_same')
            : matches === 'update'
              ? t('import_will_update')
              : t('import_will_skip')}
        </span>
      )}
      {changes.length > 0 && (
        <ul class="import-notes">
          {changes.map(([name, change]) => {
            const spec = fieldSpec('households', name);
            return (
              <li key={name}>
                {fieldLabel('households', name)}: {displayValue(spec, change.from, lookups)} →{' '}
                {displayValue(spec, change.to, lookups)}
              </li>
            );
          })}
        </ul>
      )}
      {row.errors.length > 0 && (
        <ul class="import-notes field-error">
          {row.errors.map((/** @type {any} */ e, /** @type {number} */ i) => (
            <li key={i}>{e.column ? `${e.column}: ${e.message}` : e.message}</li>
          ))}
        </ul>
      )}
      {row.warnings.length > 0 && (
        <ul class="import-notes muted">
          {row.warnings.map((/** @type {any} */ w, /** @type {number} */ i) => (
            <li key={i}>{w.column ? `${w.column}: ${w.message}` : w.message}</li>
          ))}
        </ul>
      )}
    </>
  );
}

/**
 * What the apply did.
 * @param {{outcome: any, onAgain: () => void}} props
 */
function Outcome({ outcome, onAgain }) {
  return (
    <section class="panel" aria-label={t('import_done_title')}>
      <h2>{t('import_done_title')}</h2>
      <p role="status">{t('import_done', outcome)}</p>
      <p class="muted">{t('import_done_sync')}</p>
      <button type="button" class="secondary" onClick={onAgain}>
        {t('import_another')}
      </button>
    </section>
  );
}
