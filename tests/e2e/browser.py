"""What the browser tests and the app's bench share: Chromium, a real `doorstep serve` child
process on its own SQLite file, and waiting for the app's first sync."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("DOORSTEP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# True once the app has finished a sync (it stores the time of the last successful one).
HAS_SYNCED = """() => new Promise((resolve) => {
  const req = indexedDB.open('doorstep');
  req.onsuccess = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains('meta')) { db.close(); return resolve(false); }
    const get = db.transaction('meta').objectStore('meta').get('last_sync');
    get.onsuccess = () => { resolve(!!get.result); db.close(); };
    get.onerror = () => { resolve(false); db.close(); };
  };
  req.onerror = () => resolve(false);
})"""

# The app's last successful sync as stored (JSON), "null" before the first: a newer one than
# before a Sync now is that sync (or a later one) done.
LAST_SYNC = """() => new Promise((resolve) => {
  const req = indexedDB.open('doorstep');
  req.onsuccess = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains('meta')) { db.close(); return resolve('null'); }
    const get = db.transaction('meta').objectStore('meta').get('last_sync');
    get.onsuccess = () => { resolve(JSON.stringify(get.result ?? null)); db.close(); };
    get.onerror = () => { resolve('null'); db.close(); };
  };
  req.onerror = () => resolve('null');
})"""


def wait_until(page, expression: str, timeout_s: float) -> None:
    """Poll a JavaScript expression (or a function returning a Promise) until it is truthy.

    Not page.wait_for_function: it compiles its predicate with `new Function`, which the app's
    content security policy refuses, and it would take a returned Promise itself as truthy.
    """
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if page.evaluate(expression):
                return
        except Error:  # the page is navigating: its JavaScript world is being replaced
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"never true: {expression[:80]}")
        time.sleep(0.1)


def wait_until_synced_once(page, timeout_s: float) -> None:
    """Wait until the app has completed its first sync."""
    wait_until(page, HAS_SYNCED, timeout_s)


def _doorstep() -> str:
    exe = Path(sys.executable).with_name("doorstep")
    return str(exe) if exe.exists() else (shutil.which("doorstep") or "doorstep")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`doorstep serve` as a child process on its own SQLite file; can be killed and restarted."""

    def __init__(self, workdir: Path, households: int | None = 30) -> None:
        """Makes the database: demo data with that many households, or none (`None`)."""
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DOORSTEP_DATABASE_URL": f"sqlite:///{workdir / 'doorstep.db'}",
            "DOORSTEP_MEDIA_DIR": str(workdir / "media"),
        }
        self.proc: subprocess.Popen | None = None
        self.log = open(workdir / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        seed = [["seed-demo", "--households", str(households)]] if households is not None else []
        for args in (["init-db"], *seed):
            subprocess.run(
                [_doorstep(), *args],
                env=self.env,
                check=True,
                cwd=ROOT,
                stdout=self.log,
                stderr=self.log,
            )

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [_doorstep(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=self.log,
        )
        # A start-up deadline, not a race: the process is watched for an early exit, so a long
        # deadline only matters on a machine loaded enough to start slowly.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"doorstep serve exited; see {self.workdir / 'server.log'}")
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            "doorstep serve did not answer /api/v1/health in 120 s; "
            f"see {self.workdir / 'server.log'}"
        )

    def kill(self) -> None:
        """Stop at once, as a crash would (no graceful shutdown)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        self.kill()
        self.log.close()
