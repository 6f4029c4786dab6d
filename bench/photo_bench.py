"""The phone's time to reduce a 12-megapixel photo, in Chromium: a 4000×3000 JPEG made with
Pillow is decoded upright, drawn at 1600 px and encoded near 200 KB by the app's code. Two
photos: one like a camera's (detail at every scale, grain), and coarse noise, the worst case.

- In the app's photo worker (pwa/dist, as built), without and with 4x CPU, with the longest task
  on the page's main thread meanwhile (the page stays responsive). Chromium cannot throttle a
  worker's CPU through CDP ("Operation is only supported for pages, not workers"), so at 4x the
  page gets CDP `Emulation.setCPUThrottlingRate` and the worker's thread a cgroup cap
  (bench/throttle.py, as bench/pwa_bench.py does; root and cgroup v1): the cap is calibrated
  first, so that a fixed loop runs as much slower in the capped worker as on the throttled page,
  and the calibration lines are printed. Where it cannot be done the bench says so.
- The same function (pwa/src/reduce.js) on the page's main thread, without and with 4x CPU
  throttling (CDP). Chromium decodes a bitmap off the main thread (and off the worker's thread),
  so the throttled figures slow the drawing, encoding and hashing, not the decoding.

Prints figures; never passes or fails.

    cd pwa && npm run build && cd .. && .venv/bin/python bench/photo_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageEnhance
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

sys.path.insert(0, str(ROOT / "bench"))

from e2e.browser import CHROMIUM, CHROMIUM_ARGS, ServerProcess  # noqa: E402
from throttle import CFS_PERIOD_US, WorkerThrottle, calibrate  # noqa: E402

DIST = ROOT / "pwa" / "dist"
# What pwa/src/photos.js asks of its worker.
MAX_SIDE = 1600
TARGET_BYTES = 200 * 1024
JPEG, JS = "image/jpeg", "text/javascript"

IN_WORKER = """async ([url, runs, maxSide, targetBytes]) => {
  const file = await (await fetch('/bench/photo.jpg')).blob();
  let longest = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longest = Math.max(longest, e.duration);
  });
  observer.observe({ type: 'longtask' });
  const times = [];
  let reduced = null;
  for (let i = 0; i < runs; i++) {
    const worker = new Worker(url, { type: 'module' });
    const started = performance.now();
    const answer = await new Promise((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
      worker.postMessage({ file, maxSide, targetBytes });
    });
    times.push(performance.now() - started);
    worker.terminate();
    if (!answer.ok) throw new Error(answer.message);
    reduced = answer.reduced;
  }
  observer.disconnect();
  return { times, longest, size: reduced.size, width: reduced.width, height: reduced.height };
}"""


ON_MAIN_THREAD = """async ([runs, maxSide, targetBytes]) => {
  const file = await (await fetch('/bench/photo.jpg')).blob();
  const { reduce } = await import('/bench/reduce.js');
  const times = [];
  let reduced = null;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    reduced = await reduce(file, maxSide, targetBytes);
    times.push(performance.now() - started);
  }
  return { times, longest: null, size: reduced.size, width: reduced.width, height: reduced.height };
}"""


def camera_photo() -> bytes:
    """A 4000×3000 JPEG like a phone camera's: detail at every scale, weaker the finer it is (as
    in a photo of a street or a room: large shapes, edges, texture), and the sensor's grain; about
    4 MB at quality 90, as a 12-megapixel phone photo is."""
    rng = random.Random(12)
    width, height = 4000, 3000
    image, weight = None, 0.0
    for level in range(9):  # blobs from a quarter of the frame down to a few pixels
        cw, ch = 4 * 2**level, 3 * 2**level
        layer = Image.frombytes("RGB", (cw, ch), rng.randbytes(cw * ch * 3))
        layer = layer.resize((width, height), Image.Resampling.BICUBIC)
        strength = 0.55**level
        weight += strength
        image = layer if image is None else Image.blend(image, layer, strength / weight)
    assert image is not None
    image = ImageEnhance.Contrast(image).enhance(3.0)
    grain = Image.effect_noise((width, height), 8).convert("RGB")
    image = ImageChops.add(image, grain, 1, -128)
    return _jpeg(image)


def noise_photo() -> bytes:
    """The worst case: a 4000×3000 JPEG of coarse noise (detail a photo never has, every 10 px
    a new colour), which no JPEG quality worth reading brings near 200 KB at 1600 px."""
    rng = random.Random(12)
    coarse = Image.frombytes("RGB", (400, 300), rng.randbytes(400 * 300 * 3))
    return _jpeg(coarse.resize((4000, 3000), Image.Resampling.BICUBIC))


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--only", choices=["photo-like", "noise"], help="only this photo (default: both)"
    )
    args = parser.parse_args()
    workers = sorted(DIST.glob("assets/photo-worker-*.js"))
    if not workers:
        sys.exit("pwa/dist has no photo worker: cd pwa && npm run build")
    photos = {}
    if args.only in (None, "photo-like"):
        photos["photo-like"] = camera_photo()
    if args.only in (None, "noise"):
        photos["noise (worst case)"] = noise_photo()
    code = (ROOT / "pwa" / "src" / "reduce.js").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), households=None)
        server.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                throttle = WorkerThrottle(4)
                if throttle.available:
                    calibrate(browser, throttle)
                else:
                    print(f"  workers cannot be slowed here: {throttle.reason}")
                for name, photo in photos.items():
                    print(
                        f"{name}: 4000×3000 JPEG, {len(photo) / 1e6:.1f} MB; "
                        f"{args.runs} runs per rate"
                    )
                    for where, rate in (
                        ("worker", 1),
                        ("worker", 4),
                        ("main thread", 1),
                        ("main thread", 4),
                    ):
                        if where == "worker" and rate > 1 and not throttle.available:
                            print(f"  worker, CPU {rate}x: not measured ({throttle.reason})")
                            continue
                        measure(
                            browser,
                            server.url,
                            photo,
                            code,
                            workers[0].name,
                            where,
                            rate,
                            args.runs,
                            throttle,
                        )
                throttle.close()
                browser.close()
        finally:
            server.stop()


def measure(
    browser: Any,
    url: str,
    photo: bytes,
    code: bytes,
    worker: str,
    where: str,
    rate: int,
    runs: int,
    throttle: WorkerThrottle,
) -> None:
    """Reduce the photo `runs` times in a fresh page, in the worker or on the main thread, at a
    CPU throttling rate (the worker's thread capped by `throttle` when rate > 1); print the
    median, the spread and what came out."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="block")
    page = ctx.new_page()
    page.route("**/bench/photo.jpg", lambda r: r.fulfill(body=photo, content_type=JPEG))
    page.route("**/bench/reduce.js", lambda r: r.fulfill(body=code, content_type=JS))
    page.goto(f"{url}/")
    ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
    capped = ""
    if where == "worker":
        with throttle if rate > 1 else WorkerThrottle(1):
            got = page.evaluate(IN_WORKER, [f"/assets/{worker}", runs, MAX_SIDE, TARGET_BYTES])
        if rate > 1:
            capped = (
                f"; {len(throttle.throttled)} worker thread(s) capped at "
                f"{throttle.quota_us / CFS_PERIOD_US:.0%} of a core"
            )
    else:
        got = page.evaluate(ON_MAIN_THREAD, [runs, MAX_SIDE, TARGET_BYTES])
    times = got["times"]
    longest = (
        f"; longest main-thread task {got['longest']:.0f} ms" if got["longest"] is not None else ""
    )
    print(
        f"  {where}, CPU {rate}x: median {statistics.median(times):.0f} ms "
        f"(min {min(times):.0f}, max {max(times):.0f}) → "
        f"{got['width']}×{got['height']}, {got['size'] / 1024:.0f} KB{longest}{capped}"
    )
    ctx.close()


if __name__ == "__main__":
    main()
