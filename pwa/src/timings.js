/**
 * Milliseconds by step, added up as a piece of work goes (the pull worker's account of a pull,
 * sync.js servePullRequest): a diagnostic, never read by the app itself.
 */

/**
 * Add the milliseconds since `since` to `timings[step]`, when timings are kept.
 * @param {Record<string, number>|null|undefined} timings
 * @param {string} step
 * @param {number} since performance.now() when the step began
 */
export function took(timings, step, since) {
  if (timings) timings[step] = (timings[step] ?? 0) + performance.now() - since;
}
