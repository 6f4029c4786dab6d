"""Field-app figures in Chromium: initial JS size gzipped; first sync of ~10,000
households and their child records into IndexedDB; time to open the app offline with 2,000
households; with those 2,000 households, the time from each keystroke in the search box to its
results on screen. The browser parts run without and with 4x CPU throttling
(CDP `Emulation.setCPUThrottlingRate`). Prints figures; never passes or fails on time.

    cd pwa && npm run build && cd .. && .venv/bin/python bench/pwa_bench.py [--households 10000]
    .venv/bin/python bench/pwa_bench.py --only-search     # just the 2,000-household figures
    .venv/bin/python bench/pwa_bench.py --only-first-sync --households 2500 --clone-to 100000 \
        --rates 4 --runs 3

`--only-catch-up`: a later pull instead, `--runs` times at each rate: after a first sync (at full
speed), the server changes `--changes` child records picked at random (plain SQL: a new revision
and sequence number each, as an edit elsewhere would give them), and the time from Sync now to
that sync done is measured (its pull stores them all over the ones the first sync stored).

`--only-first-sync`: the first sync alone, `--runs` times at each rate, median and spread (a demo
household comes with about 3 child records; `--clone-to` copies them with plain SQL, as
bench/sync_bench.py does, instead of seeding them all through the engine). The app served is
`pwa/dist`, or the one named by DOORSTEP_PWA_DIST; `--dists A B` takes turns with two builds on
the same data; `--trees A B` likewise with two copies of the repository, each served by its own
server (run with `PYTHONPATH` at it) with its own `pwa/dist` (built beforehand). Each first sync
also says how much CPU the browser's dedicated workers used meanwhile (the pull worker's, nearly
all of it: what the 4x figure is bound by), and where the pull worker's time went by its own
account (`pull worker, ms:`, see PULL_STEPS; wall clock, so a step the thread was descheduled in
counts the wait too).

With `--timeline`, each first sync also prints, per pull page, when the app asked for it (and
how long after the page before came in), the server's time to its first byte, when its last byte
came and its size on the wire: whether the next page is fetched while one is stored, and where
the time of a first sync goes.

CPU throttling: CDP's `Emulation.setCPUThrottlingRate` slows the page's main thread only (Chromium
answers "Operation is only supported for pages, not workers" when it is sent to a worker), so the
app's pull worker would run at full speed. Each dedicated worker thread of the browser this bench
started is therefore moved into its own cgroup (v1 `cpu` controller, `cpu.cfs_quota_us` = 1/rate
of a core; root) as soon as it appears, and a calibration line compares both ways of slowing a
fixed loop (bench/throttle.py, shared with bench/photo_bench.py). A cap of 1/rate of a core slows
a thread less than CDP does when the machine is busy (CDP pauses the page's thread for
(rate-1)/rate of the time, on top of what the load takes), so the cap is tightened until the
worker's loop is slowed as much as the page's (never loosened past 1/rate), and both factors are
printed. Where that cannot be done the bench says so: compare the
x1 figures then.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from e2e.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    LAST_SYNC,
    ServerProcess,
    wait_until,
    wait_until_synced_once,
)
from sync_bench import clone_records  # noqa: E402
from throttle import CFS_PERIOD_US, WorkerThrottle, calibrate  # noqa: E402

from server.demo import DEMO_PASSWORD as PASSWORD  # noqa: E402

DIST = ROOT / "pwa" / "dist"
FIELD = ("households", "visits", "registrations", "support", "assessments")
# Records the first time a household card is on screen, and the longest main-thread task.
PROBE = """
window.__bench = { firstCard: null, longest: 0 };
new MutationObserver((_, obs) => {
  if (document.querySelector('.cards li')) {
    window.__bench.firstCard = performance.now();
    obs.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      window.__bench.longest = Math.max(window.__bench.longest, e.duration);
  }).observe({ type: 'longtask', buffered: true });
} catch (e) {}
"""

# Records on the phone: rows of `records`, and the records held in bundles (an entry each in the
# bundles' `keys` index) where the build has them.
COUNT_LOCAL = """() => new Promise((resolve, reject) => {
  const req = indexedDB.open('doorstep');
  req.onsuccess = () => {
    const db = req.result;
    const bundled = db.objectStoreNames.contains('bundles');
    const tx = db.transaction(bundled ? ['records', 'bundles'] : ['records']);
    // Records once each: a bundled copy whose key `records` holds (pwa/src/bundles.js) is not one.
    const keys = tx.objectStore('records').getAllKeys();
    let count = 0;
    keys.onsuccess = () => {
      const held = new Set(keys.result.map(([c, i]) => `${c}/${i}`));
      count = held.size;
      if (!bundled) return;
      const cursor = tx.objectStore('bundles').index('keys').openKeyCursor();
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return;
        if (!held.has(at.key)) count += 1;
        at.continue();
      };
    };
    tx.oncomplete = () => { resolve(count); db.close(); };
    tx.onerror = () => reject(tx.error);
  };
  req.onerror = () => reject(req.error);
})"""


# Types `query` into the household search one character at a time, as `input` events, and
# measures for each from the event to the first frame painted with the rows found for exactly
# that text (the list says which text its rows are for; until then the previous rows stay, dimmed
# and aria-busy). Waits for each result before the next key.
TYPE_AND_TIME = """(query) => new Promise((resolve) => {
  const input = document.querySelector('input[type=search]');
  const times = [];
  let i = 0;
  const typeNext = () => {
    if (i >= query.length) return resolve(times);
    const value = query.slice(0, ++i);
    const started = performance.now();
    const done = () => {
      const list = document.querySelector('[data-results-for]');
      return list && list.dataset.resultsFor === value && !list.hasAttribute('aria-busy');
    };
    const observer = new MutationObserver(() => {
      if (!done()) return;
      observer.disconnect();
      requestAnimationFrame(() => {
        times.push(performance.now() - started);
        setTimeout(typeNext, 120);
      });
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  };
  input.focus();  // the tap that opens the keyboard comes before the first letter
  input.value = '';
  input.dispatchEvent(new Event('input', { bubbles: true }));
  setTimeout(typeNext, 500);
})"""
SEARCHES = ("nguyen van", "tran thi", "le hoang", "pham")


class Server(ServerProcess):
    """A seeded `doorstep serve` on a temporary SQLite file, started at once."""

    def __init__(self, households: int) -> None:
        started = time.monotonic()
        super().__init__(Path(tempfile.mkdtemp(prefix="doorstep-bench-")), households=households)
        self.seed_seconds = time.monotonic() - started
        self.start()

    def counts(self) -> dict[str, int]:
        token = requests.post(
            f"{self.url}/api/v1/auth/login",
            json={"username": "admin", "password": PASSWORD},
            timeout=10,
        ).json()["token"]
        out: dict[str, int] = {}
        for c in ("households", "visits", "registrations", "support", "assessments"):
            r = requests.get(
                f"{self.url}/api/v1/records/{c}",
                params={"limit": 1},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            out[c] = r.json()["total"]
        return out

    def serve(self, dist: Path, tree: Path | None = None) -> None:
        """Serve this build of the app from now on (the same database), by the server of `tree`
        (a copy of the repository) if given, else by this one."""
        self.kill()
        self.env["DOORSTEP_PWA_DIST"] = str(dist)
        if tree:
            self.env["PYTHONPATH"] = str(tree)
        else:
            self.env.pop("PYTHONPATH", None)
        self.start()

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def js_size() -> None:
    html = (DIST / "index.html").read_text()
    initial = re.findall(r'<script[^>]+src="/([^"]+)"', html) + re.findall(
        r'<link[^>]+rel="modulepreload"[^>]+href="/([^"]+)"', html
    )
    css = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="/([^"]+)"', html)

    def gz(paths: list[str]) -> tuple[int, int]:
        raw = sum((DIST / p).stat().st_size for p in paths)
        return raw, sum(len(gzip.compress((DIST / p).read_bytes(), 9)) for p in paths)

    raw, packed = gz(initial)
    craw, cpacked = gz(css)
    print(
        f"initial JS: {raw / 1024:.1f} KiB, {packed / 1024:.1f} KiB gzipped ({', '.join(initial)})"
    )
    print(f"initial CSS: {craw / 1024:.1f} KiB, {cpacked / 1024:.1f} KiB gzipped")
    sw = DIST / "sw.js"
    print(f"service worker: {len(gzip.compress(sw.read_bytes(), 9)) / 1024:.1f} KiB gzipped")


def new_page(browser, rate: int):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = ctx.new_page()
    page.set_default_timeout(600_000)
    page.add_init_script(PROBE)
    if rate > 1:
        ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
    return ctx, page


def synced_page(browser, server: Server):
    """A page at full speed, signed in as the admin, once its first sync is done."""
    ctx, page = new_page(browser, 1)
    page.goto(f"{server.url}/?lang=en")
    page.get_by_label("Username", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    wait_until_synced_once(page, 1800)
    return ctx, page


def worker_cpu(pids: set[int]) -> dict[int, float]:
    """CPU seconds so far of each dedicated worker thread of these processes, by thread id."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                if not (task / "comm").read_text().startswith("DedicatedWorker"):
                    continue
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                out[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
            except (OSError, ValueError):
                continue
    return out


# The pull worker's own account of the last pull, in ms by step (pwa/src/sync.js
# servePullRequest): api.js `fetch` (to the headers), `read` (the body, with the network's wait),
# `parse`; storePullPage's `keys`, `rows`, `puts` (the rows handed to IndexedDB), `bundles`,
# `bundlePuts`, `notify` (the worker's own work) and `commit` (waiting for the browser to write,
# overlapping the rest); `total`, the whole pull.
PULL_STEPS = (
    "fetch",
    "read",
    "parse",
    "keys",
    "rows",
    "puts",
    "bundles",
    "bundlePuts",
    "notify",
    "commit",
)


def pull_timings(page) -> dict[str, int] | None:
    """The pull worker's timings of its last pull, if the app's build keeps them."""
    for worker in page.workers:
        try:
            found = worker.evaluate("() => self.pullTimings ?? null")
        except Exception:  # a worker gone meanwhile, or not the app's
            continue
        if found:
            return found
    return None


def show_timings(timings: dict[str, int] | None, cpu: float) -> str:
    """One line of the pull worker's timings, with how much of its CPU they account for."""
    if not timings:
        return "    pull worker's timings: none (a build without them, or no pull worker ran)"
    steps = [s for s in PULL_STEPS if s in timings] + sorted(set(timings) - {*PULL_STEPS, "total"})
    own = sum(timings.get(s, 0) for s in PULL_STEPS[2:-1])
    return (
        "    pull worker, ms: "
        + ", ".join(f"{s} {timings[s]}" for s in steps)
        + f"; total {timings.get('total', 0)}; its own steps (parse to notify) {own} of wall"
        f" clock, against {cpu * 1000:.0f} of the worker threads' CPU (/proc)"
    )


def first_sync(
    browser,
    server: Server,
    rate: int,
    throttle: WorkerThrottle | None = None,
    timeline: bool = False,
) -> float:
    ctx, page = new_page(browser, rate)
    page.goto(f"{server.url}/?lang=en")
    page.get_by_label("Username", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    pulls: list[tuple[float, float, float, int]] = []

    def note(request) -> None:
        # Each page pulled: when it was asked for, its first and last byte came (seconds since
        # the epoch, the browser's clock) and its size on the wire.
        if "/sync/pull" in request.url:
            t = request.timing
            at = t["startTime"] / 1000
            size = request.sizes()["responseBodySize"]
            pulls.append((at, at + t["responseStart"] / 1000, at + t["responseEnd"] / 1000, size))

    if timeline:
        ctx.on("requestfinished", note)
    with throttle or WorkerThrottle(1) as cap:
        started = time.monotonic()
        clicked = time.time()
        before_cpu = worker_cpu(cap._descendants())
        page.get_by_role("button", name="Sign in").click()
        wait_until_synced_once(page, 1800)
        seconds = time.monotonic() - started
        after_cpu = worker_cpu(cap._descendants())
    # The workers' CPU during the sync (the pull worker's, nearly all): what 4x slows.
    cpu = sum(t - before_cpu.get(tid, 0.0) for tid, t in after_cpu.items())
    if timeline:
        # When each page was asked for (and how long after the page before came in: reading it,
        # and whatever the pull worker waited for before asking), the server's time to its first
        # byte, and when its last byte came.
        print(f"    started at {clicked:.2f} (epoch), done at {clicked + seconds:.2f}")
        before = clicked
        for n, (asked, first_byte, done, size) in enumerate(sorted(pulls), 1):
            print(
                f"    page {n}: asked at {asked - clicked:5.2f} s ({asked - before:+.2f} s after"
                f" the page before), server {first_byte - asked:.2f} s, "
                f"in at {done - clicked:5.2f} s, {size / 1e6:.1f} MB"
            )
            before = done
    timings = pull_timings(page)
    local = page.evaluate(COUNT_LOCAL)
    longest = page.evaluate("window.__bench.longest")
    usage = page.evaluate("navigator.storage.estimate().then((e) => e.usage)")
    workers = ""
    if throttle and rate > 1:
        workers = (
            f"; {len(throttle.throttled)} worker thread(s) capped at "
            f"{throttle.quota_us / CFS_PERIOD_US:.0%} of a core"
            if throttle.available
            else f"; workers NOT slowed: {throttle.reason}"
        )
    print(
        f"  first sync, CPU x{rate}: {seconds:.1f} s for {local} records "
        f"({local / seconds:.0f} records/s); workers' CPU {cpu:.1f} s; storage "
        f"{usage / 1e6:.1f} MB; longest main-thread task {longest:.0f} ms{workers}"
    )
    print(show_timings(timings, cpu))
    ctx.close()
    return seconds


def change_children(server: Server, n: int) -> int:
    """Give `n` child records picked at random a new revision and sequence number, as an edit on
    the server would (their fields stay): the next pull brings them all. Returns how many."""
    engine = create_engine(server.env["DOORSTEP_DATABASE_URL"])
    chosen = ", ".join(f"'{c}'" for c in FIELD[1:])
    with engine.begin() as conn:
        span = conn.execute(text("SELECT max(seq) FROM records")).scalar_one()
        changed = conn.execute(
            text(
                f"UPDATE records SET rev = rev + 1, seq = seq + {span} WHERE id IN "
                f"(SELECT id FROM records WHERE collection IN ({chosen}) AND NOT deleted "
                f"AND search_text = '' ORDER BY random() LIMIT {n})"
            )
        ).rowcount
        conn.execute(
            text("UPDATE feed_state SET seq = (SELECT max(seq) FROM records) WHERE id = 1")
        )
    engine.dispose()
    return changed


def catch_up(
    browser, server: Server, rate: int, changes: int, throttle: WorkerThrottle | None = None
) -> float:
    """A first sync at full speed, `changes` child records changed on the server, then the time
    from Sync now to that sync done, at `rate`."""
    ctx, page = synced_page(browser, server)
    # Whatever the first sync set going (live queries, the next scheduled sync) settles first.
    time.sleep(3)
    changed = change_children(server, changes)
    before = page.evaluate(LAST_SYNC)
    if rate > 1:
        ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
    with throttle or WorkerThrottle(1):
        started = time.monotonic()
        page.get_by_role("button", name="Sync now").click()
        wait_until(page, f"() => ({LAST_SYNC})().then((at) => at !== {json.dumps(before)})", 1800)
        seconds = time.monotonic() - started
    local = page.evaluate(COUNT_LOCAL)
    longest = page.evaluate("window.__bench.longest")
    print(
        f"  catch-up, CPU x{rate}: {seconds:.1f} s for {changed} changed child records "
        f"({changed / seconds:.0f} records/s; {local} records on the phone); "
        f"longest main-thread task {longest:.0f} ms"
    )
    ctx.close()
    return seconds


def open_offline(browser, server: Server, rate: int, runs: int = 3) -> None:
    ctx, page = synced_page(browser, server)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    local = page.evaluate(COUNT_LOCAL)
    ctx.set_offline(True)
    ctx.route("**/*", lambda route: route.abort("internetdisconnected"))
    if rate > 1:
        ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
    times = []
    for _ in range(runs):
        page.reload()
        wait_until(page, "window.__bench && window.__bench.firstCard !== null", 60)
        times.append(page.evaluate("window.__bench.firstCard"))
    ctx.close()
    shown = ", ".join(f"{t:.0f}" for t in times)
    print(
        f"  open offline, CPU x{rate}: first household on screen after {min(times):.0f} ms "
        f"(runs: {shown} ms; {local} records on the phone)"
    )


def search_keystrokes(browser, server: Server, rate: int) -> None:
    """Keystroke to results in the household search, with every household on the phone."""
    ctx, page = synced_page(browser, server)
    page.get_by_role("searchbox").wait_for()
    if rate > 1:
        ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
    times: list[float] = []
    for query in SEARCHES:
        times += page.evaluate(TYPE_AND_TIME, query)
    ctx.close()
    times.sort()
    median = times[len(times) // 2]
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    within = sum(t <= 150 for t in times)
    print(
        f"  search, CPU x{rate}: keystroke to results median {median:.0f} ms, p90 {p90:.0f} ms,"
        f" max {times[-1]:.0f} ms; {within}/{len(times)} keystrokes within 150 ms"
        f" (typed: {', '.join(repr(q) for q in SEARCHES)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--offline-households", type=int, default=2_000)
    parser.add_argument(
        "--only-search", action="store_true", help="only the search figures (2,000 households)"
    )
    parser.add_argument("--only-first-sync", action="store_true", help="only the first sync")
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="with the first sync: when each pull page was asked for and came in",
    )
    parser.add_argument(
        "--only-catch-up",
        action="store_true",
        help="only a later pull of --changes child records changed on the server",
    )
    parser.add_argument("--changes", type=int, default=20_000, help="for --only-catch-up")
    parser.add_argument("--rates", type=int, nargs="+", default=[1, 4], help="CPU throttling")
    parser.add_argument("--runs", type=int, default=1, help="first syncs at each rate")
    parser.add_argument(
        "--clone-to",
        type=int,
        help="copy the seeded field records with plain SQL to about this many",
    )
    parser.add_argument(
        "--trees",
        type=Path,
        nargs="+",
        help="like --dists, with copies of the repository: each one's server and its pwa/dist",
    )
    parser.add_argument(
        "--dists",
        type=Path,
        nargs="+",
        help="first sync with each of these builds of the app in turn, on the same data",
    )
    args = parser.parse_args()
    # Absolute: the server that serves them runs in a folder of its own.
    trees = {}
    if args.trees:
        trees = {(t.resolve() / "pwa" / "dist"): t.resolve() for t in args.trees}
        args.dists = list(trees)
    dists = [d.resolve() for d in args.dists or [Path(os.environ.get("DOORSTEP_PWA_DIST", DIST))]]
    if missing := [str(d) for d in dists if not (d / "index.html").exists()]:
        sys.exit(f"not a build of the app (no index.html): {', '.join(missing)}")
    if not (DIST / "index.html").exists():
        sys.exit("pwa/dist is missing: cd pwa && npm ci && npm run build")
    js_size()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if not args.only_search:
            big = Server(args.households)
            try:
                if args.clone_to:
                    big.kill()
                    started = time.monotonic()
                    clone_records(big.env["DOORSTEP_DATABASE_URL"], args.clone_to, FIELD)
                    print(
                        f"cloned to about {args.clone_to:,} in {time.monotonic() - started:.0f} s"
                    )
                    big.start()
                print(f"server with {big.counts()} (seeded in {big.seed_seconds:.0f} s)")
                for rate in args.rates:
                    throttle = WorkerThrottle(rate)
                    if rate > 1 and throttle.available:
                        calibrate(browser, throttle)
                    elif rate > 1:
                        print(f"  workers cannot be slowed here: {throttle.reason}")
                    times: dict[str, list[float]] = {str(d): [] for d in dists}
                    for _ in range(args.runs):
                        # Builds take turns, so that the machine's load weighs on each alike.
                        for dist in dists:
                            if args.dists:
                                big.serve(dist, trees.get(dist))
                                print(f"  ({dist})")
                            times[str(dist)].append(
                                catch_up(browser, big, rate, args.changes, throttle)
                                if args.only_catch_up
                                else first_sync(browser, big, rate, throttle, args.timeline)
                            )
                    throttle.close()
                    what = "catch-up" if args.only_catch_up else "first sync"
                    for dist, seconds in times.items():
                        if args.runs > 1:
                            print(
                                f"  {what}, CPU x{rate}, {dist}: median "
                                f"{statistics.median(seconds):.1f} s ({min(seconds):.1f}–"
                                f"{max(seconds):.1f} s, {args.runs} runs)"
                            )
            finally:
                big.stop()
        if args.only_first_sync or args.only_catch_up:
            browser.close()
            return
        small = Server(args.offline_households)
        try:
            print(f"server with {small.counts()}")
            for rate in (1, 4):
                if not args.only_search:
                    open_offline(browser, small, rate)
                search_keystrokes(browser, small, rate)
        finally:
            small.stop()
        browser.close()


if __name__ == "__main__":
    main()
