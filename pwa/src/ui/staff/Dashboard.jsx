/**
 * The campaign report (issue 5) for supervisors (their neighbourhoods) and admins: the figures as
 * a table and simple charts, the due date and days left, and the downloads (CSV, XLSX, PDF, raw
 * exports) with their progress.
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { queryString, reportParams } from '../../staff-api.js';
import { formatDate, formatMoney } from '../../text.js';
import {
  ErrorNotice,
  StaffPage,
  errorText,
  quartersOf,
  saveFile,
  staff,
  useLookups,
  useRemote,
} from './common.jsx';
import { dueText, formatBytes, quarterBars } from './present.js';

const KINDS = ['health_insurance', 'waste_collection', 'clean_water'];
const SUPPORT_KINDS = ['gift', 'cash', 'scholarship', 'housing', 'health', 'other'];
const RAW = ['households', 'visits', 'registrations', 'support', 'assessments', 'nominations'];

/** @param {{user: any, path: string}} props */
export function Dashboard({ user, path }) {
  const lookups = useLookups();
  const campaigns = lookups.campaignList;
  const [chosen, setChosen] = useState('');
  const campaignId = chosen || (campaigns.find((c) => c.active) ?? campaigns[0])?.id || '';
  const [filters, setFilters] = useState({
    date_from: '',
    date_to: '',
    quarters: /** @type {string[]} */ ([]),
    review: 'not_rejected',
  });
  const report = useRemote(
    () => (campaignId ? staff.report(campaignId, filters) : Promise.resolve(null)),
    [campaignId, JSON.stringify(filters)],
  );
  const r = report.data;
  const myQuarters = quartersOf(user, lookups);
  const set = (/** @type {string} */ k, /** @type {any} */ v) => setFilters({ ...filters, [k]: v });

  return (
    <StaffPage user={user} path={path} title={t('staff_dashboard_title')}>
      {campaigns.length === 0 && <p class="muted">{t('staff_no_campaign')}</p>}
      <form class="staff-filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>{t('staff_campaign')}</span>
          <select value={campaignId} onChange={(e) => setChosen(e.currentTarget.value)}>
            {campaigns.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('staff_date_from')}</span>
          <input
            type="date"
            value={filters.date_from}
            onChange={(e) => set('date_from', e.currentTarget.value)}
          />
        </label>
        <label>
          <span>{t('staff_date_to')}</span>
          <input
            type="date"
            value={filters.date_to}
            onChange={(e) => set('date_to', e.currentTarget.value)}
          />
        </label>
        <label>
          <span>{t('staff_review_status')}</span>
          <select value={filters.review} onChange={(e) => set('review', e.currentTarget.value)}>
            {['not_rejected', 'approved', 'all'].map((v) => (
              <option key={v} value={v}>
                {t(`staff_review_filter.${v}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="chip">
          <input
            type="checkbox"
            checked={filters.review === 'approved'}
            onChange={(e) => set('review', e.currentTarget.checked ? 'approved' : 'not_rejected')}
          />
          {t('staff_approved_only')}
        </label>
      </form>
      {myQuarters.length > 1 && (
        <div class="badges" role="group" aria-label={t('staff_quarters')}>
          {myQuarters.map((q) => (
            <label key={q.id} class="chip">
              <input
                type="checkbox"
                checked={filters.quarters.includes(q.id)}
                onChange={(e) =>
                  set(
                    'quarters',
                    e.currentTarget.checked
                      ? [...filters.quarters, q.id]
                      : filters.quarters.filter((x) => x !== q.id),
                  )
                }
              />
              {q.code || q.name}
            </label>
          ))}
        </div>
      )}
      <ErrorNotice error={report.error} />
      {report.loading && !r && <p class="muted">{t('staff_loading')}</p>}
      {r && <Report report={r} />}
      {r && <Downloads campaignId={campaignId} filters={filters} />}
    </StaffPage>
  );
}

/** @param {{report: any}} props */
function Report({ report }) {
  const c = report.campaign;
  const total = report.total;
  return (
    <div class="report">
      <section class="panel">
        <h2>{c.name}</h2>
        <p>
          {t('staff_period', {
            from: formatDate(report.period.from),
            to: formatDate(report.period.to),
          })}{' '}
          · {t('staff_day_of', { n: c.days_elapsed, total: c.days_total })}
        </p>
        {c.report_due_on && (
          <p>
            <strong>{t('staff_due', { date: formatDate(c.report_due_on) })}</strong> ·{' '}
            <span class={c.days_left < 0 ? 'badge flagged' : 'badge'}>{dueText(c.days_left)}</span>
          </p>
        )}
      </section>
      <div class="kpis">
        <Kpi label={t('staff_kpi_households')} value={total.visits.households} />
        <Kpi label={t('staff_kpi_visits')} value={total.visits.visits} />
        <Kpi label={t('staff_kpi_hi_persons')} value={total.health_insurance_persons} />
        <Kpi label={t('staff_kpi_support')} value={formatMoney(total.support.value_vnd)} />
        <Kpi label={t('staff_kpi_follow_up')} value={total.visits.follow_up} />
        <Kpi label={t('staff_kpi_nominations')} value={total.nominations.count} />
      </div>

      <h2>{t('staff_by_quarter')}</h2>
      <div class="staff-table-wrap">
        <table class="staff-table" aria-label={t('staff_by_quarter')}>
          <thead>
            <tr>
              <th>{t('quarter')}</th>
              <th class="num">{t('staff_col_households')}</th>
              <th class="num">{t('staff_col_visits')}</th>
              <th class="num">{t('staff_col_hi')}</th>
              <th class="num">{t('staff_col_waste')}</th>
              <th class="num">{t('staff_col_water')}</th>
              <th class="num">{t('staff_col_support')}</th>
              <th class="num">{t('staff_col_support_households')}</th>
              <th class="num">{t('staff_col_model')}</th>
              <th class="num">{t('staff_col_follow_up')}</th>
              <th class="num">{t('staff_col_nominations')}</th>
            </tr>
          </thead>
          <tbody>
            {report.quarters.map((/** @type {any} */ q) => (
              <FigureRow key={q.id} name={q.name} f={q} />
            ))}
          </tbody>
          <tfoot>
            <FigureRow name={t('staff_sum')} f={total} />
          </tfoot>
        </table>
      </div>

      <div class="grid-2">
        {KINDS.map((kind) => (
          <section key={kind}>
            <h3>{t('staff_registrations_chart', { kind: t(`reg_kind.${kind}`) })}</h3>
            <Bars
              rows={quarterBars(report.quarters, kind)}
              unit={t('staff_registered_households')}
            />
          </section>
        ))}
        <section>
          <h3>{t('staff_days_chart')}</h3>
          <DaysChart days={report.daily_visits} today={c.today} />
        </section>
      </div>

      <h2>{t('staff_support_by_kind')}</h2>
      <div class="staff-table-wrap">
        <table class="staff-table">
          <thead>
            <tr>
              <th>{t('kind')}</th>
              <th class="num">{t('staff_count')}</th>
              <th class="num">{t('staff_value')}</th>
            </tr>
          </thead>
          <tbody>
            {SUPPORT_KINDS.map((k) => (
              <tr key={k}>
                <td>{t(`support_kind.${k}`)}</td>
                <td class="num">{total.support.by_kind[k]?.count ?? 0}</td>
                <td class="num">{formatMoney(total.support.by_kind[k]?.value_vnd ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {report.nominees?.length > 0 && (
        <>
          <h2>{t('staff_nominees')}</h2>
          <ul class="plain">
            {report.nominees.map((/** @type {any} */ n, /** @type {number} */ i) => (
              <li key={i}>
                <strong>{n.nominee}</strong> · {t(`nominee_kind.${n.nominee_kind}`)} ·{' '}
                {t(`domain.${n.domain}`)} · {n.quarter}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/** @param {{label: string, value: any}} props */
function Kpi({ label, value }) {
  return (
    <div class="kpi">
      <strong>{value}</strong>
      <span class="muted">{label}</span>
    </div>
  );
}

/** One neighbourhood's (or the total's) row. @param {{name: string, f: any}} props */
function FigureRow({ name, f }) {
  const reg = (/** @type {string} */ kind) => f.registrations[kind].registered.households;
  const cat = f.support.households_by_category;
  return (
    <tr>
      <th scope="row">{name}</th>
      <td class="num">{f.visits.households}</td>
      <td class="num">{f.visits.visits}</td>
      <td class="num">
        {reg('health_insurance')} / {f.health_insurance_persons}
      </td>
      <td class="num">{reg('waste_collection')}</td>
      <td class="num">{reg('clean_water')}</td>
      <td class="num">
        {f.support.count} / {formatMoney(f.support.value_vnd)}
      </td>
      <td class="num">
        {cat.policy_family} / {cat.meritorious} / {cat.poor} / {cat.near_poor}
      </td>
      <td class="num">
        {f.assessments.model} / {f.assessments.count}
      </td>
      <td class="num">{f.visits.follow_up}</td>
      <td class="num">{f.nominations.count}</td>
    </tr>
  );
}

/** Horizontal bars. @param {{rows: {label: string, value: number, share: number}[], unit: string}} props */
function Bars({ rows, unit }) {
  return (
    <div class="bars">
      {rows.map((row) => (
        <div key={row.label} class="bar-row" title={`${row.label}: ${row.value} ${unit}`}>
          <span>{row.label}</span>
          <span class="bar-track">
            <span
              class="bar-fill"
              style={{ width: `${Math.round(row.share * 100)}%`, display: 'block' }}
            />
          </span>
          <span class="num">{row.value}</span>
        </div>
      ))}
    </div>
  );
}

/** Visits per campaign day (bar height), running total in each bar's title. */
function DaysChart(
  /** @type {{days: {date: string, visits: number, cumulative_visits: number}[], today: string}} */ {
    days,
    today,
  },
) {
  const max = Math.max(1, ...days.map((d) => d.visits));
  return (
    <>
      <div class="days-chart" role="img" aria-label={t('staff_days_chart')}>
        {days.map((d) => (
          <span
            key={d.date}
            class={`day${d.date > today ? ' future' : ''}`}
            style={{ height: `${Math.max(1, Math.round((d.visits / max) * 100))}%` }}
            title={t('staff_day_bar', {
              date: formatDate(d.date),
              n: d.visits,
              total: d.cumulative_visits,
            })}
          />
        ))}
      </div>
      {days.length > 0 && (
        <p class="muted">
          {formatDate(days[0].date)} – {formatDate(days[days.length - 1].date)} ·{' '}
          {t('staff_kpi_visits')}: {days[days.length - 1].cumulative_visits}
        </p>
      )}
    </>
  );
}

/**
 * Download buttons: the report as CSV, XLSX, PDF with the dashboard's filters, and the raw
 * collections; each shows how far its download has got.
 * @param {{campaignId: string, filters: any}} props
 */
function Downloads({ campaignId, filters }) {
  const [state, setState] = useState(
    /** @type {Record<string, {loaded: number, total: number|null, done?: string, size?: number, error?: string}>} */ ({}),
  );
  async function get(/** @type {string} */ key, /** @type {string} */ path) {
    setState((s) => ({ ...s, [key]: { loaded: 0, total: null } }));
    try {
      const { blob, filename } = await staff.download(path, (p) =>
        setState((s) => ({ ...s, [key]: { ...p } })),
      );
      saveFile(blob, filename);
      setState((s) => ({
        ...s,
        [key]: { loaded: blob.size, total: blob.size, done: filename, size: blob.size },
      }));
    } catch (err) {
      setState((s) => ({ ...s, [key]: { loaded: 0, total: null, error: errorText(err) } }));
    }
  }
  const qs = queryString(reportParams(filters));
  const button = (
    /** @type {string} */ key,
    /** @type {string} */ label,
    /** @type {string} */ p,
  ) => {
    const s = state[key];
    const running = s && !s.done && !s.error;
    return (
      <div key={key} class="download">
        <button type="button" class="secondary" disabled={running} onClick={() => get(key, p)}>
          {t('staff_download', { format: label })}
        </button>
        {running && (
          <span role="status">
            <progress
              value={s.total ? s.loaded : undefined}
              max={s.total ?? undefined}
              aria-label={label}
            />{' '}
            {t('staff_download_progress', { format: label, loaded: formatBytes(s.loaded) })}
          </span>
        )}
        {s?.done && (
          <span role="status" class="muted">
            {t('staff_download_done', { name: s.done, size: formatBytes(s.size ?? 0) })}
          </span>
        )}
        {s?.error && (
          <span role="alert" class="field-error">
            {s.error}
          </span>
        )}
      </div>
    );
  };
  return (
    <section class="panel" aria-label={t('staff_downloads')}>
      <h2>{t('staff_downloads')}</h2>
      <div class="actions wrap">
        {['pdf', 'xlsx', 'csv'].map((f) =>
          button(f, f.toUpperCase(), `/reports/campaign/${campaignId}.${f}${qs}`),
        )}
      </div>
      <h3>{t('staff_raw_exports')}</h3>
      <div class="actions wrap">
        {RAW.flatMap((c) =>
          ['xlsx', 'csv'].map((f) =>
            button(
              `${c}.${f}`,
              `${t(`staff_collection.${c}`)} (${f.toUpperCase()})`,
              `/exports/${c}.${f}${queryString({ quarters: reportParams(filters).quarters })}`,
            ),
          ),
        )}
      </div>
    </section>
  );
}
