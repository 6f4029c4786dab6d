/**
 * The campaign report for supervisors (their neighbourhoods) and admins: coverage first, the
 * figures as a table and as charts (visits per day, cumulative visits, coverage and registrations
 * per neighbourhood), the work of each unit as charts (grouped bars of households visited, visits,
 * health insurance registrations and people, support; the support's value), the units' concrete
 * deeds and the units with none yet, the due date and days left, and the downloads (CSV, XLSX,
 * PDF, raw exports) with their progress. Every figure is the report's own
 * (`GET /reports/campaign/<id>`).
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { queryString, reportParams } from '../../staff-api.js';
import { formatDate, formatMoney } from '../../text.js';
import { values } from '../../vocabulary.js';
import {
  CampaignChoice,
  ErrorNotice,
  StaffPage,
  errorText,
  quartersOf,
  saveFile,
  staff,
  useCampaign,
  useLookups,
  useRemote,
} from './common.jsx';
import { Chart } from './Chart.jsx';
import {
  coverageShare,
  coverageText,
  dayLabel,
  dueText,
  formatBytes,
  formatPercent,
  millions,
  unitsByWork,
} from './present.js';

// Tick steps of an axis of đồng: 100.000 to 500 billion.
const MONEY_STEPS = [1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11].flatMap((n) => [n, 2 * n, 5 * n]);
const RAW = ['households', 'visits', 'registrations', 'support', 'assessments', 'nominations'];

/** @param {{user: any, path: string}} props */
export function Dashboard({ user, path }) {
  const lookups = useLookups();
  const campaigns = lookups.campaignList;
  const [campaignId, setCampaign] = useCampaign(lookups);
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
        <CampaignChoice lookups={lookups} value={campaignId} onChange={setCampaign} />
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
  const days = /** @type {{date: string, visits: number, cumulative_visits: number}[]} */ (
    report.daily_visits
  );
  const names = report.quarters.map((/** @type {any} */ q) => q.name);
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
        <Kpi
          label={t('staff_kpi_coverage', {
            visited: total.coverage.visited,
            households: total.coverage.households,
          })}
          value={formatPercent(coverageShare(total.coverage))}
        />
        <Kpi label={t('staff_kpi_households')} value={total.visits.households} />
        <Kpi label={t('staff_kpi_visits')} value={total.visits.visits} />
        <Kpi label={t('staff_kpi_hi_persons')} value={total.health_insurance_persons} />
        <Kpi label={t('staff_kpi_support')} value={formatMoney(total.support.value_vnd)} />
        <Kpi label={t('staff_kpi_follow_up')} value={total.visits.follow_up} />
        <Kpi label={t('staff_kpi_nominations')} value={total.nominations.count} />
      </div>

      <h2>{t('staff_by_quarter')}</h2>
      <div class="staff-table-wrap">
        <table class="staff-table figures" aria-label={t('staff_by_quarter')}>
          <thead>
            <tr>
              {COLUMNS.map((c, i) => (
                <th key={c} class={i ? 'num' : undefined} scope="col">
                  {t(c)}
                </th>
              ))}
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

      <h2>{t('staff_charts')}</h2>
      <div class="grid-2">
        <Chart
          kind="bar"
          title={t('staff_chart_daily')}
          labels={days.map((d) => dayLabel(d.date))}
          values={days.map((d) => d.visits)}
          xTitle={t('staff_axis_day')}
          yTitle={t('staff_axis_visits')}
          everyNthLabel={Math.ceil(days.length / 12)}
        />
        <Chart
          kind="line"
          title={t('staff_chart_cumulative')}
          labels={days.map((d) => dayLabel(d.date))}
          values={days.map((d) => d.cumulative_visits)}
          xTitle={t('staff_axis_day')}
          yTitle={t('staff_axis_cumulative')}
          everyNthLabel={Math.ceil(days.length / 12)}
        />
        <Chart
          kind="bar"
          horizontal
          title={t('staff_chart_coverage')}
          labels={names}
          values={report.quarters.map((/** @type {any} */ q) => coverageShare(q.coverage) ?? 0)}
          xTitle={t('staff_axis_coverage')}
          yTitle={t('quarter')}
          high={100}
          format={(v) => formatPercent(v)}
        />
        {values('registration_kind').map((kind) => (
          <Chart
            key={kind}
            kind="bar"
            horizontal
            title={t('staff_registrations_chart', { kind: t(`registration_kind.${kind}`) })}
            labels={names}
            values={report.quarters.map(
              (/** @type {any} */ q) => q.registrations[kind].registered.households,
            )}
            xTitle={t('staff_registered_households')}
            yTitle={t('quarter')}
          />
        ))}
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
            {values('support_kind').map((k) => (
              <tr key={k}>
                <td>{t(`support_kind.${k}`)}</td>
                <td class="num">{total.support.by_kind[k]?.count ?? 0}</td>
                <td class="num">{formatMoney(total.support.by_kind[k]?.value_vnd ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <Units units={report.units} />
      <Deeds deeds={report.deeds} without={report.units_without_deed} />

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

/**
 * What each unit did (counted for the unit of whoever recorded it): the units with work as two
 * charts, the counts as grouped bars and the support's value on its own axis; the others named.
 * @param {{units: any[]}} props
 */
function Units({ units }) {
  const { worked, idle } = unitsByWork(units);
  const labels = worked.map((u) => u.name);
  const column = (/** @type {(u: any) => number} */ f) => worked.map(f);
  return (
    <>
      <h2>{t('staff_by_unit')}</h2>
      {worked.length === 0 ? (
        <p class="muted">{t('staff_units_nothing')}</p>
      ) : (
        <div class="grid-2">
          <Chart
            kind="bar"
            horizontal
            title={t('staff_chart_units')}
            labels={labels}
            series={[
              { label: t('staff_series_households'), values: column((u) => u.visits.households) },
              { label: t('staff_series_visits'), values: column((u) => u.visits.visits) },
              {
                label: t('staff_series_hi'),
                values: column((u) => u.health_insurance.households),
              },
              {
                label: t('staff_series_hi_persons'),
                values: column((u) => u.health_insurance.persons),
              },
              { label: t('staff_series_support'), values: column((u) => u.support.count) },
            ]}
            xTitle={t('staff_axis_count')}
            yTitle={t('unit')}
          />
          <Chart
            kind="bar"
            horizontal
            title={t('staff_chart_unit_support')}
            labels={labels}
            values={column((u) => u.support.value_vnd)}
            format={formatMoney}
            tickFormat={millions}
            steps={MONEY_STEPS}
            xTitle={t('staff_axis_million_vnd')}
            yTitle={t('unit')}
          />
        </div>
      )}
      {worked.length > 0 && idle.length > 0 && (
        <p class="muted">{t('staff_units_idle', { names: idle.map((u) => u.name).join(', ') })}</p>
      )}
    </>
  );
}

/**
 * The units' concrete deeds in the campaign, with their progress and result, and the active
 * units that have none yet.
 * @param {{deeds: any[], without: {id: string, name: string}[]}} props
 */
function Deeds({ deeds, without }) {
  return (
    <>
      <h2>{t('staff_deeds')}</h2>
      {deeds.length === 0 ? (
        <p class="muted">{t('staff_no_deeds')}</p>
      ) : (
        <div class="staff-table-wrap">
          <table class="staff-table" aria-label={t('staff_deeds')}>
            <thead>
              <tr>
                <th scope="col">{t('unit')}</th>
                <th scope="col">{t('deed_title')}</th>
                <th scope="col">{t('staff_deed_where_when')}</th>
                <th scope="col">{t('deed_status')}</th>
                <th scope="col">{t('deed_result')}</th>
              </tr>
            </thead>
            <tbody>
              {deeds.map((d) => (
                <tr key={d.id}>
                  <th scope="row">{d.unit}</th>
                  <td>{d.title}</td>
                  <td>{[d.quarter, formatDate(d.planned_on)].filter(Boolean).join(' · ')}</td>
                  <td>
                    <span class={`badge deed-${d.status}`}>{t(`deed_status.${d.status}`)}</span>
                  </td>
                  <td>
                    {[
                      d.result,
                      d.beneficiaries > 0 && t('beneficiaries_n', { n: d.beneficiaries }),
                      d.value_vnd > 0 && formatMoney(d.value_vnd),
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {without.length > 0 && (
        <>
          <h3 id="units-without-deed">{t('staff_units_without_deed', { n: without.length })}</h3>
          <ul class="plain" aria-labelledby="units-without-deed">
            {without.map((u) => (
              <li key={u.id}>{u.name}</li>
            ))}
          </ul>
        </>
      )}
    </>
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

/** The per-neighbourhood table's columns (i18n keys), in order. */
const COLUMNS = [
  'quarter',
  'staff_col_coverage',
  'staff_col_households',
  'staff_col_visits',
  'staff_col_hi',
  'staff_col_waste',
  'staff_col_water',
  'staff_col_support',
  'staff_col_support_households',
  'staff_col_model',
  'staff_col_follow_up',
  'staff_col_nominations',
];

/** One neighbourhood's (or the total's) row. @param {{name: string, f: any}} props */
function FigureRow({ name, f }) {
  const reg = (/** @type {string} */ kind) => f.registrations[kind].registered.households;
  const cat = f.support.households_by_category;
  const cells = [
    coverageText(f.coverage),
    f.visits.households,
    f.visits.visits,
    `${reg('health_insurance')} / ${f.health_insurance_persons}`,
    reg('waste_collection'),
    reg('clean_water'),
    `${f.support.count} / ${formatMoney(f.support.value_vnd)}`,
    values('category')
      .map((c) => cat[c] ?? 0)
      .join(' / '),
    `${f.assessments.model} / ${f.assessments.count}`,
    f.visits.follow_up,
    f.nominations.count,
  ];
  return (
    <tr>
      <th scope="row">{name}</th>
      {cells.map((value, i) => (
        <td key={COLUMNS[i + 1]} class="num">
          {value}
        </td>
      ))}
    </tr>
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
