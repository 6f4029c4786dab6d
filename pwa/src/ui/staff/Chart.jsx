/**
 * One chart of the staff views: bars (upright or lying) or a line, drawn by uPlot on a canvas,
 * with a title, a title on each axis, and the figures as text for screen readers. Every chart of
 * the dashboard is one of these: give it labels and values, and say what the axes measure.
 * (uPlot styles its elements through the CSSOM only, so the app's content security policy, which
 * refuses inline style attributes, lets it draw.)
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * @typedef {{
 *   kind: 'bar'|'line',
 *   title: string,
 *   labels: string[],
 *   values: number[],
 *   xTitle: string,
 *   yTitle: string,
 *   horizontal?: boolean,
 *   high?: number,
 *   format?: (value: number) => string,
 *   everyNthLabel?: number,
 * }} ChartProps
 * `xTitle` names the axis along the bottom and `yTitle` the one up the side, whichever way the
 * bars lie; `high` fixes the top of the value axis (100 for a percentage); `format` writes a
 * value; `everyNthLabel` thins a long category axis (days) to every nth label.
 */

// Steps between value ticks: whole numbers for counts, round shares for a percentage.
const COUNT_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
const PERCENT_STEPS = [10, 20, 25, 50];
const ROW = 30; // px per lying bar

/** @param {ChartProps} props */
export function Chart(props) {
  const { kind, title, labels, values, xTitle, yTitle, horizontal = false, high } = props;
  const format = props.format ?? ((/** @type {number} */ v) => String(v));
  const box = useRef(/** @type {HTMLDivElement|null} */ (null));

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const css = getComputedStyle(document.documentElement);
    const colour = css.getPropertyValue('--red').trim() || '#b71c1c';
    const ink = css.getPropertyValue('--muted').trim() || '#555';
    const nth = Math.max(1, props.everyNthLabel ?? 1);
    const xs = labels.map((_, i) => i);
    const font = '12px system-ui, sans-serif';
    /** @type {uPlot.Axis} */
    const categories = {
      side: horizontal ? 3 : 2,
      font,
      stroke: ink,
      size: horizontal ? 110 : 32,
      grid: { show: kind === 'line' },
      ticks: { show: false },
      splits: () => xs.filter((i) => i % nth === 0),
      values: (_u, splits) => splits.map((i) => labels[i] ?? ''),
    };
    /** @type {uPlot.Axis} */
    const amounts = {
      side: horizontal ? 2 : 3,
      font,
      stroke: ink,
      size: horizontal ? 32 : 52,
      incrs: high === undefined ? COUNT_STEPS : PERCENT_STEPS,
      values: (_u, splits) => splits.map((v) => format(v)),
    };
    const height = horizontal ? labels.length * ROW + 40 : 220;
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
        {
          label: title,
          stroke: colour,
          width: kind === 'line' ? 2 : 0,
          fill: kind === 'line' ? `${colour}26` : colour,
          paths: kind === 'bar' ? uPlot.paths.bars?.({ size: [0.6, 28] }) : undefined,
          points: { show: kind === 'line', size: 5, fill: colour },
        },
      ],
    };
    const chart = new uPlot(options, [xs, values], el);
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [kind, horizontal, high, JSON.stringify(labels), JSON.stringify(values)]);

  const figures = labels.map((label, i) => `${label}: ${format(values[i] ?? 0)}`).join('; ');
  return (
    <figure class={`chart chart-${kind}${horizontal ? ' horizontal' : ''}`} aria-label={title}>
      <figcaption>{title}</figcaption>
      <div class="chart-body">
        <span class="chart-axis-title y">{yTitle}</span>
        <div ref={box} class="chart-plot" role="img" aria-label={`${title}. ${figures}`} />
        <span class="chart-axis-title x">{xTitle}</span>
      </div>
    </figure>
  );
}
