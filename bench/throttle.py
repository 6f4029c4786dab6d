"""Slowing a browser's dedicated workers like CDP slows its page, for the benches.

CDP's `Emulation.setCPUThrottlingRate` slows the page's main thread only (Chromium answers
"Operation is only supported for pages, not workers" when it is sent to a worker). `WorkerThrottle`
moves each dedicated worker thread of the browsers this process started into a cgroup of its own
(v1 `cpu` controller, `cpu.cfs_quota_us` = 1/rate of a core; root) as soon as it appears;
`calibrate` times a fixed loop on a CDP-throttled page and in a capped worker, prints both
factors, and tightens the cap until the worker is slowed as much as the page (never looser than
1/rate of a core). Used by bench/pwa_bench.py and bench/photo_bench.py.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

CGROUP_CPU = Path("/sys/fs/cgroup/cpu")
CFS_PERIOD_US = 20_000


class WorkerThrottle:
    """Slows every dedicated worker thread of this process's browsers to 1/rate of a core, each in
    a cgroup of its own (v1 `cpu` controller), from a few milliseconds after it starts; the
    page's main thread is left to CDP. `available` says whether this machine lets it."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.quota_us = CFS_PERIOD_US // rate
        self.root = CGROUP_CPU / f"doorstep-bench-{os.getpid()}"
        self.throttled: set[int] = set()
        self.reason = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            self.root.mkdir(exist_ok=True)
            (self.root / "cpu.cfs_quota_us").write_text("-1")
            self.available = True
        except OSError as e:
            self.available = False
            self.reason = f"no writable cgroup v1 cpu controller at {CGROUP_CPU} ({e.strerror})"

    def _descendants(self) -> set[int]:
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(stat.parent.name)] = int(fields[1])
        mine = {os.getpid()}
        changed = True
        while changed:
            changed = False
            for pid, ppid in parents.items():
                if ppid in mine and pid not in mine:
                    mine.add(pid)
                    changed = True
        return mine

    def _scan(self) -> None:
        pids = self._descendants()
        while not self._stop.is_set():
            for pid in pids:
                for comm in Path(f"/proc/{pid}/task").glob("*/comm"):
                    try:
                        if not comm.read_text().startswith("DedicatedWorker"):
                            continue
                        tid = int(comm.parent.name)
                        if tid in self.throttled:
                            continue
                        group = self.root / str(tid)
                        group.mkdir(exist_ok=True)
                        (group / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
                        (group / "cpu.cfs_quota_us").write_text(str(self.quota_us))
                        (group / "tasks").write_text(str(tid))
                        self.throttled.add(tid)
                    except (OSError, ValueError):
                        continue  # the thread or process ended meanwhile
            if self._stop.wait(0.01):
                break
            pids = self._descendants()  # renderers come and go with each context

    def __enter__(self) -> WorkerThrottle:
        self.throttled = set()
        if self.available and self.rate > 1:
            self._stop.clear()
            self._thread = threading.Thread(target=self._scan, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self._thread = None

    def close(self) -> None:
        if not self.available:
            return
        # A group can only go once its thread has ended: a closed page's renderer takes a moment.
        for _ in range(50):
            for group in [*self.root.glob("*/"), self.root]:
                with contextlib.suppress(OSError):
                    group.rmdir()
            if not self.root.exists():
                return
            time.sleep(0.1)


# A fixed loop, timed on the page's main thread and in a dedicated worker (both from a blob).
CALIBRATE = """(n) => new Promise((resolve) => {
  const loop = `(n) => { const t0 = performance.now(); let x = 0;
    for (let i = 0; i < n; i++) x += Math.sqrt(i); return performance.now() - t0; }`;
  const onPage = (0, eval)(loop);
  const src = `const loop = ${loop}; onmessage = (e) => postMessage(loop(e.data));`;
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  const page = [];
  for (let i = 0; i < 3; i++) page.push(onPage(n));
  const worker = [];
  w.onmessage = (e) => {
    worker.push(e.data);
    if (worker.length < 3) w.postMessage(n);
    else { w.terminate(); resolve({ page, worker }); }
  };
  setTimeout(() => w.postMessage(n), 300);
})"""


def calibrate(browser: Any, throttle: WorkerThrottle, rounds: int = 3) -> None:
    """How much CDP slows the page's thread, and the cgroup a worker's, on the same loop; the
    worker's cap is tightened until both are slowed alike, within 15% (never looser than 1/rate
    of a core)."""

    def loop(rate: int, cap: WorkerThrottle | None) -> dict[str, float]:
        ctx = browser.new_context()
        page = ctx.new_page()
        if rate > 1:
            ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
        with cap or WorkerThrottle(1):
            res = page.evaluate(CALIBRATE, 30_000_000)
        ctx.close()
        return {k: statistics.median(v) for k, v in res.items()}

    rate = throttle.rate
    for _ in range(rounds):
        base, slowed = loop(1, None), loop(rate, throttle)
        page_x = slowed["page"] / base["page"]
        worker_x = slowed["worker"] / base["worker"]
        print(
            f"  calibration, a fixed loop: page x{page_x:.1f} under CDP x{rate} "
            f"({base['page']:.0f} → {slowed['page']:.0f} ms); worker x{worker_x:.1f} capped at "
            f"{throttle.quota_us / CFS_PERIOD_US:.0%} of a core "
            f"({base['worker']:.0f} → {slowed['worker']:.0f} ms)"
        )
        if abs(worker_x / page_x - 1) <= 0.15:
            return
        # Never looser than 1/rate of a core: a busy machine's noise must not free the worker.
        quota = round(throttle.quota_us * worker_x / page_x)
        throttle.quota_us = max(1000, min(CFS_PERIOD_US // rate, quota))
    print(
        f"  calibration did not settle within 15% in {rounds} rounds (a busy machine slows the "
        f"page unevenly); workers capped at {throttle.quota_us / CFS_PERIOD_US:.0%} of a core, "
        "not measured"
    )
