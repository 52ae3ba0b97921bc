"""Concurrent sessions against a real ``streamlit run`` server, at the protocol level.

The client is not a browser: each session is one WebSocket to ``/_stcore/stream`` (the
one a browser tab opens) carrying the login cookie, and a "click" is the ``BackMsg`` the
browser sends when a user picks a page in the sidebar (``rerun_script`` with the page's
URL name and query string). The click is settled when the server's ``script_finished``
message for that run arrives: every element of the page has been sent by then. What a
browser adds on top (drawing the elements) costs the user's machine, not the server, so
it is left out; in exchange the clients cost little CPU, which matters on a machine whose
cores the server shares (the client's own CPU is reported beside the server's).

Servers are either started here (one ``streamlit run app.py`` per database, see
``Server``) or given as base URLs (``--base-url``, e.g. a proxy in front of several
replicas, issue 15); sessions are spread over the URLs round-robin. Server CPU per page
load is read from ``/proc/<pid>/stat`` of the server processes we know the pid of.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SETTLE_TIMEOUT = 300.0  # seconds one page may take before the session counts it failed


@dataclass(frozen=True)
class Click:
    """One page a session opens: its URL name (``st.Page(url_path=...)``; "" is the
    default page, the first of the navigation, served at "/") and query string."""

    page: str
    query: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) and of the children it waited
    for (LibreOffice's PDF conversions of the complaint page), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime (fields 14-17 of proc(5); 0-based 11-14 after the name)
    return sum(int(f) for f in fields[11:15]) / CLOCK_TICKS


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak_memory(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux clear_refs "5"); False if
    not permitted, in which case the peak since start is all we can read."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Server:
    """``streamlit run app.py`` on a free loopback port, on one database."""

    def __init__(self, database_url: str, *, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            # The worker's every-minute notification check is not a page load's cost:
            # benchmarks.run times it on its own ("Notification check of one minute").
            "OUTBOX_WORKER": os.environ.get("OUTBOX_WORKER", "external"),
        }
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless=true",
                "--server.address=127.0.0.1",
                f"--server.port={self.port}",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.process.pid

    def wait_ready(self, timeout: float = 120.0) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit on {self.base_url} not ready in {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class PageError(RuntimeError):
    pass


class Session:
    """One browser tab: a WebSocket with the login cookie; ``open`` times one click."""

    def __init__(self, base_url: str, cookie: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookie = cookie
        self.ws = None
        self.pages: dict[str, str] = {}  # url name -> page script hash (navigation msg)

    async def connect(self) -> None:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.ws = await websockets.connect(
            f"{scheme}://{parts.netloc}{parts.path}/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers={"Cookie": self.cookie, "Origin": self.base_url},
            max_size=None,
            open_timeout=60,
            ping_interval=None,
        )

    async def open(self, click: Click) -> float:
        """Seconds from sending the click to the server's end of that script run."""
        msg = BackMsg()
        msg.rerun_script.page_name = click.page
        # A sidebar click names the page by its hash, known from the first run.
        msg.rerun_script.page_script_hash = self.pages.get(click.page, "")
        msg.rerun_script.query_string = click.query
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        async with asyncio.timeout(SETTLE_TIMEOUT):
            while True:
                data = await self.ws.recv()
                if not isinstance(data, bytes):
                    continue
                forward = ForwardMsg()
                forward.ParseFromString(data)
                kind = forward.WhichOneof("type")
                if kind == "navigation":
                    self.pages = {
                        p.url_pathname: p.page_script_hash for p in forward.navigation.app_pages
                    }
                if kind == "page_not_found":
                    raise PageError(f"page not found: {click.page}")
                if kind == "delta" and forward.delta.new_element.WhichOneof("type") == (
                    "exception"
                ):
                    raise PageError(f"{click.page}: exception on the page")
                if kind == "script_finished":
                    status = forward.script_finished
                    if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                        return time.perf_counter() - started
                    if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        raise PageError(f"{click.page}: compile error")
                    # FINISHED_EARLY_FOR_RERUN: the page reran itself (st.rerun); wait on.

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


@dataclass
class LoadResult:
    sessions: int
    seconds: float
    loads: list[float] = field(default_factory=list)  # click-to-settled, seconds
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    server_cpu: float | None = None  # seconds, all known server pids
    client_cpu: float = 0.0
    load_average: float = 0.0

    @property
    def p50(self) -> float | None:
        return statistics.median(self.loads) if self.loads else None

    @property
    def p95(self) -> float | None:
        if not self.loads:
            return None
        ordered = sorted(self.loads)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def per_second(self) -> float:
        return len(self.loads) / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_load(self) -> float | None:
        if self.server_cpu is None or not self.loads:
            return None
        return self.server_cpu / len(self.loads)


async def _drive(
    base_urls: Sequence[str],
    cookies: Sequence[str],
    clicks: Sequence[Sequence[Click]],
    count: int,
    seconds: float,
    pids: Sequence[int],
) -> LoadResult:
    sessions = [
        Session(base_urls[i % len(base_urls)], cookies[i % len(cookies)]) for i in range(count)
    ]
    result = LoadResult(sessions=count, seconds=seconds)
    try:
        await asyncio.gather(*(s.connect() for s in sessions))
        # Untimed: every session opens its first page (the tab being opened).
        await asyncio.gather(*(s.open(clicks[i % len(clicks)][0]) for i, s in enumerate(sessions)))
        cpu_before = [cpu_seconds(pid) for pid in pids]
        client_before = time.process_time()
        started = time.perf_counter()
        stop_at = started + seconds

        async def loop(i: int, session: Session) -> None:
            for click in itertools.cycle(clicks[i % len(clicks)]):
                if time.perf_counter() >= stop_at:
                    return
                try:
                    result.loads.append(await session.open(click))
                except (PageError, TimeoutError, websockets.ConnectionClosed) as exc:
                    result.errors += 1  # the session stops: its tab would show the error
                    kind = str(exc) if isinstance(exc, PageError) else type(exc).__name__
                    result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
                    return

        await asyncio.gather(*(loop(i, s) for i, s in enumerate(sessions)))
        # The last clicks may end after stop_at: divide by the real window.
        result.seconds = time.perf_counter() - started
        result.client_cpu = time.process_time() - client_before
        if pids:
            spent = [cpu_seconds(p) - b for p, b in zip(pids, cpu_before, strict=True)]
            result.server_cpu = sum(spent)
        result.load_average = os.getloadavg()[0]
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    return result


def drive(
    base_urls: Sequence[str],
    cookies: Sequence[str],
    clicks: Sequence[Sequence[Click]],
    count: int,
    seconds: float,
    pids: Sequence[int] = (),
) -> LoadResult:
    """``count`` sessions clicking through their pages for ``seconds`` (after each has
    opened its first page, untimed); session i logs in with ``cookies[i % n]`` and walks
    ``clicks[i % m]`` in a loop."""
    return asyncio.run(_drive(base_urls, cookies, clicks, count, seconds, pids))


async def _walk(base_url: str, cookie: str, clicks: Sequence[Click]) -> None:
    session = Session(base_url, cookie)
    await session.connect()
    try:
        for click in clicks:
            await session.open(click)
    finally:
        await session.close()


def walk(base_url: str, cookie: str, clicks: Sequence[Click]) -> None:
    """One session opens each page once (warms a server: imports, caches of the code)."""
    asyncio.run(_walk(base_url, cookie, clicks))


def session_peak_memory(
    base_url: str, cookie: str, clicks: Sequence[Click], pid: int
) -> tuple[float, float]:
    """(MB the server's peak RSS grew while one session opened every page once, server
    RSS in MB before). Run it on a server that has served these pages before, so the
    imports and caches of the code are not charged to the session."""
    before = memory_kb(pid)["VmRSS"]
    if not reset_peak_memory(pid):
        raise PermissionError("cannot reset the server's peak memory (clear_refs)")
    walk(base_url, cookie, clicks)
    peak = memory_kb(pid)["VmHWM"]
    return (peak - before) / 1024, before / 1024
