/**
 * One chart of the staff views: bars (upright or lying) or a line, drawn by uPlot on a canvas,
 * with a title, a title on each axis, and the figures as text for screen readers. Every chart of
 * the dashboard is one of these: give it labels and values, and say what the axes measure. Bars
 * may come in groups, one bar per series side by side in each category, with a legend naming
 * the series by colour.
 * (uPlot styles its elements through the CSSOM only, so the app's content security policy, which
 * refuses inline style attributes, lets it draw.)
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { t } from '../../i18n.js';
import { wrapLabel } from './present.js';

/**
 * @typedef {{
 *   kind: 'bar'|'line',
 *   title: string,
 *   labels: string[],
 *   values?: number[],
 *   series?: {label: string, values: number[]}[],
 *   xTitle: string,
 *   yTitle: string,
 *   horizontal?: boolean,
 *   high?: number,
 *   format?: (value: number) => string,
 *   tickFormat?: (value: number) => string,
 *   steps?: number[],
 *   everyNthLabel?: number,
 * }} ChartProps
 * `values` is the one series (named by the title), `series` several, drawn as grouped bars;
 * `xTitle` names the axis along the bottom and `yTitle` the one up the side, whichever way the
 * bars lie; `high` fixes the top of the value axis (100 for a percentage); `format` writes a
 * value, `tickFormat` a value on the axis (`format` when not given); `steps` are the value
 * axis's possible tick steps; `everyNthLabel` thins a long category axis (days) to every nth
 * label. A category label longer than a line is wrapped.
 */

// Steps between value ticks: whole numbers for counts, round shares for a percentage.
const COUNT_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
const PERCENT_STEPS = [10, 20, 25, 50];
const ROW = 30; // px per lying bar
const GROUP_BAR = 11; // px per bar of a group of lying bars
const LABEL_LINE = 22; // characters per line of a category label
const LINE = 16; // px per line of a category label
const GROUP = 0.8; // share of a category's band that a group of bars fills

/** @param {ChartProps} props */
export function Chart(props) {
  const { kind, title, labels, xTitle, yTitle, horizontal = false, high } = props;
  const sets = props.series ?? [{ label: title, values: props.values ?? [] }];
  const format = props.format ?? ((/** @type {number} */ v) => String(v));
  const tickFormat = props.tickFormat ?? format;
  const grouped = sets.length > 1;
  const box = useRef(/** @type {HTMLDivElement|null} */ (null));

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const css = getComputedStyle(document.documentElement);
    const colours = sets.map(
      (_, j) =>
        getComputedStyle(el)
          .getPropertyValue(`--series-${j + 1}`)
          .trim() || '#b71c1c',
    );
    const ink = css.getPropertyValue('--muted').trim() || '#555';
    const nth = Math.max(1, props.everyNthLabel ?? 1);
    const xs = labels.map((_, i) => i);
    const font = '12px system-ui, sans-serif';
    const lines = labels.map((label) => wrapLabel(label, LABEL_LINE));
    /** @type {uPlot.Axis} */
    const categories = {
      side: horizontal ? 3 : 2,
      font,
      stroke: ink,
      size: horizontal ? labelWidth(lines, font) : 32,
      grid: { show: kind === 'line' },
      ticks: { show: false },
      splits: () => xs.filter((i) => i % nth === 0),
      values: (_u, splits) => splits.map((i) => lines[i] ?? ''),
    };
    /** @type {uPlot.Axis} */
    const amounts = {
      side: horizontal ? 2 : 3,
      font,
      stroke: ink,
      size: horizontal ? 32 : 52,
      incrs: props.steps ?? (high === undefined ? COUNT_STEPS : PERCENT_STEPS),
      values: (_u, splits) => splits.map((v) => tickFormat(v)),
    };
    const tallest = Math.max(1, ...lines.map((label) => label.split('\n').length));
    const row = Math.max(grouped ? sets.length * GROUP_BAR + 12 : ROW, tallest * LINE + 12);
    const height = horizontal ? labels.length * row + 40 : 220;
    /** @type {uPlot.Options} */
    const options = {
      width: el.clientWidth || 300,
      height,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: {
          time: false,
          range: [-0.5, labels.length - 0.5],
          // Lying bars: the categories run down the side, the first on top.
          ori: horizontal ? 1 : 0,
          dir: horizontal ? -1 : 1,
        },
        y: {
          ori: horizontal ? 0 : 1,
          range:
            high !== undefined
              ? [0, high]
              : (_u, _min, max) => uPlot.rangeNum(0, Math.max(1, max), 0.1, true),
        },
      },
      axes: [categories, amounts],
      series: [
        {},
        ...sets.map((set, j) => ({
          label: set.label,
          stroke: colours[j],
          width: kind === 'line' ? 2 : 0,
          fill: kind === 'line' ? `${colours[j]}26` : colours[j],
          paths: kind === 'bar' ? barPaths(j, sets.length, labels.length) : undefined,
          points: { show: kind === 'line', size: 5, fill: colours[j] },
        })),
      ],
    };
    const chart = new uPlot(
      options,
      [xs, ...sets.map((set) => labels.map((_, i) => set.values[i] ?? 0))],
      el,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [kind, horizontal, high, JSON.stringify(labels), JSON.stringify(sets)]);

  const figures = labels
    .map((label, i) =>
      grouped
        ? `${label}: ${sets.map((set) => `${set.label} ${format(set.values[i] ?? 0)}`).join(', ')}`
        : `${label}: ${format(sets[0].values[i] ?? 0)}`,
    )
    .join('; ');
  return (
    <figure class={`chart chart-${kind}${horizontal ? ' horizontal' : ''}`} aria-label={title}>
      <figcaption>{title}</figcaption>
      {grouped && (
        <ul class="chart-legend" aria-label={t('staff_chart_legend')}>
          {sets.map((set, j) => (
            <li key={set.label}>
              <span class={`swatch series-${j + 1}`} aria-hidden="true" />
              {set.label}
            </li>
          ))}
        </ul>
      )}
      <div class="chart-body">
        <span class="chart-axis-title y">{yTitle}</span>
        <div ref={box} class="chart-plot" role="img" aria-label={`${title}. ${figures}`} />
        <span class="chart-axis-title x">{xTitle}</span>
      </div>
    </figure>
  );
}

/**
 * Bars for series `j` of `count`: one bar in the middle of each category, or with several series
 * the j-th of a group of bars side by side that together fill GROUP of the category's band.
 * @param {number} j
 * @param {number} count
 * @param {number} categories
 */
function barPaths(j, count, categories) {
  if (count === 1) return uPlot.paths.bars?.({ size: [0.6, 28] });
  const band = 1 / categories; // a category's share of the plot
  const bar = (GROUP * band) / count;
  return uPlot.paths.bars?.({
    size: [1, Infinity],
    disp: {
      // Where each bar starts and how wide it is, as shares of the plot (uPlot's unit 2).
      x0: {
        unit: 2,
        values: () =>
          Array.from(
            { length: categories },
            (_, i) => (i + (1 - GROUP) / 2) * band + j * bar + bar * 0.05,
          ),
      },
      size: { unit: 2, values: () => [bar * 0.9] },
    },
  });
}

/**
 * How wide the labels of lying bars need their axis to be: the longest line, measured in `font`.
 * @param {string[]} labels
 * @param {string} font
 */
function labelWidth(labels, font) {
  const pen = document.createElement('canvas').getContext('2d');
  if (!pen) return 110;
  pen.font = font;
  const widest = Math.max(
    0,
    ...labels.flatMap((label) => label.split('\n')).map((line) => pen.measureText(line).width),
  );
  return Math.ceil(Math.max(40, widest + 14));
}
