"""``benchmarks.run --replicas 1,2``: the same sessions through nginx in front of N replicas.

For each N, ``deploy.local.Deployment`` (the code behind ``deploy/run-local``: N
``streamlit run app.py``, the outbox worker and nginx with the production site template)
is started on the benchmark database; the protocol-level client of
``benchmarks.sessions`` drives 1, 5, 10 and 20 concurrent sessions through the proxy
(queue and complaint page in turn, as in the single-server figures). Session i carries
a routing cookie that nginx hashes to replica ``i mod N`` (found by asking nginx, which
names the replica in ``X-Upstream``), so the sessions are spread evenly, as the random
cookies of many browsers are on average. Server CPU per page load is the CPU of all
replica processes (``/proc/<pid>/stat``) divided by the loads; nginx's own CPU is shown
beside it. The target (issue 15): two replicas serve >= 1.6x the page loads per second
of one at saturation (the best rate over the session counts).
"""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import sessions as load_client
from deploy.local import ROUTE_COOKIE, Deployment

TARGET_SCALE = 1.6
SECTION = "## Replicas"


@dataclass
class ReplicaFigures:
    replicas: int
    loads: dict[int, load_client.LoadResult] = field(default_factory=dict)
    nginx_cpu: dict[int, float] = field(default_factory=dict)
    note: str = ""

    @property
    def saturation(self) -> float:
        return max((r.per_second for r in self.loads.values()), default=0.0)


def routes_for(deployment: Deployment, tries: int = 200) -> list[str]:
    """One routing-cookie value per replica, in replica order, as nginx hashes them."""
    wanted = {r.address: i for i, r in enumerate(deployment.started)}
    found: dict[int, str] = {}
    for n in range(tries):
        key = f"bench{n:04d}"
        request = urllib.request.Request(
            f"{deployment.url}/healthz", headers={"Cookie": f"{ROUTE_COOKIE}={key}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            replica = response.headers["X-Upstream"].split(",")[-1].strip()
        found.setdefault(wanted[replica], key)
        if len(found) == len(wanted):
            return [found[i] for i in range(len(wanted))]
    raise RuntimeError(f"no routing cookie reached every replica in {tries} tries")


def _nginx_cpu(deployment: Deployment) -> float:
    """CPU seconds of nginx's processes so far (master and workers, found by pid file)."""
    prefix = getattr(deployment, "nginx_prefix", None)
    if prefix is None or not (prefix / "nginx.pid").exists():
        return 0.0
    master = int((prefix / "nginx.pid").read_text().strip())
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # ppid
            pids.append(int(stat.parent.name))
    total = 0.0
    for pid in pids:
        try:
            total += load_client.cpu_seconds(pid)
        except (OSError, ValueError):
            pass
    return total


def run(target, replica_counts: list[int], counts: list[int], seconds: float, directory: Path,
        log) -> list[ReplicaFigures]:  # fmt: skip
    """Sessions through nginx in front of each number of replicas, on ``target``."""
    from benchmarks import run as suite  # the suite's users, pages and cookies

    figures = []
    for replicas in replica_counts:
        fig = ReplicaFigures(replicas)
        figures.append(fig)
        deployment = Deployment(
            target.url, replicas=replicas, directory=directory / f"replicas-{replicas}"
        )
        try:
            deployment.start(timeout=180)
            pids = [r.pid for r in deployment.started]
            log(f"  {replicas} replica(s) behind {deployment.url} (pids {pids})")
            routes = routes_for(deployment)
            walk = [
                load_client.Click(u, f"tiket={target.ticket}" if u == suite.COMPLAINT_URL else "")
                for u in suite.MEMORY_WALK_URLS
            ]
            warm_cookie = suite._cookie(target, "kepala")
            for route in routes:  # every page once per replica: imports, code caches
                load_client.walk(deployment.url, f"{warm_cookie}; {ROUTE_COOKIE}={route}", walk)
            logins = [suite._cookie(target, u) for u in suite.SESSION_USERS]
            clicks = [
                [
                    load_client.Click(suite.QUEUE_URL),
                    load_client.Click(suite.COMPLAINT_URL, f"tiket={target.ticket}"),
                ]
            ]
            for count in counts:
                cookies = [
                    f"{logins[i % len(logins)]}; {ROUTE_COOKIE}={routes[i % replicas]}"
                    for i in range(count)
                ]
                nginx_before = _nginx_cpu(deployment)
                result = load_client.drive([deployment.url], cookies, clicks, count, seconds, pids)
                fig.nginx_cpu[count] = _nginx_cpu(deployment) - nginx_before
                fig.loads[count] = result
                log(
                    f"    {replicas} replica(s), {count} sessions: {len(result.loads)} loads, "
                    f"p50 {_s(result.p50)} p95 {_s(result.p95)}, {result.per_second:.2f}/s, "
                    f"cpu/load {_ms(result.cpu_per_load)}, errors {result.errors}, "
                    f"load {result.load_average:.1f}"
                )
        except Exception as exc:  # the section says what failed; other figures stand
            fig.note = f"failed: {type(exc).__name__}: {exc}"
            log(f"  {replicas} replica(s): {fig.note}")
        finally:
            deployment.stop()
    return figures


def failed(figures: list[ReplicaFigures]) -> bool:
    return any(f.note or any(r.errors for r in f.loads.values()) for f in figures)


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:,.0f} ms"


def section(figures: list[ReplicaFigures], *, label: str, seconds: float, command: str) -> str:
    """The "Replicas" section of the report, with the target's verdict."""
    lines = [
        SECTION,
        "",
        f"{label}; nginx in front of N replicas started by `deploy.local.Deployment` (the "
        "code of `deploy/run-local`, with the site template of docs/deployment.md), the "
        "outbox worker running. Clients: the protocol-level client of "
        "`benchmarks.sessions` (one WebSocket per session, no browser), session i routed "
        f"to replica i mod N by its routing cookie; {seconds:g} s per cell, queue and "
        "complaint page in turn. Server CPU = all replica processes; load = 1-min load "
        "average at the end of the cell (the machine's cores are shared with the clients, "
        "nginx and PostgreSQL).",
        "",
        f"Command: `{command}`",
        "",
        "| replicas | sessions | loads | p50 click-to-settled | p95 | page loads/s "
        "| server CPU per load | replicas' CPU (cores) | nginx CPU per load | client CPU "
        "| errors | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fig in figures:
        if fig.note:
            lines.append(f"| {fig.replicas} | — | {fig.note} | | | | | | | | | |")
        for count, r in sorted(fig.loads.items()):
            nginx = fig.nginx_cpu.get(count)
            per = nginx / len(r.loads) if nginx is not None and r.loads else None
            # CPU seconds per second: how much of the machine the replicas got (a ceiling
            # when other processes share the cores).
            cores = f"{r.server_cpu / r.seconds:.2f}" if r.server_cpu and r.seconds else "—"
            lines.append(
                f"| {fig.replicas} | {count} | {len(r.loads)} | {_s(r.p50)} | {_s(r.p95)} "
                f"| {r.per_second:.2f} | {_ms(r.cpu_per_load)} | {cores} | {_ms(per)} "
                f"| {r.client_cpu:.1f} s | {r.errors} | {r.load_average:.1f} |"
            )
    by_n = {f.replicas: f for f in figures if f.loads}
    lines.append("")
    if 1 in by_n and 2 in by_n and by_n[1].saturation:
        ratio = by_n[2].saturation / by_n[1].saturation
        verdict = "met" if ratio >= TARGET_SCALE else "not met"
        lines.append(
            f"Target: two replicas >= {TARGET_SCALE}x the page loads per second of one at "
            f"saturation (best rate over the session counts): {by_n[2].saturation:.2f} vs "
            f"{by_n[1].saturation:.2f} page loads/s = {ratio:.2f}x, **{verdict}**."
        )
    else:
        lines.append("Target (two replicas >= 1.6x one at saturation): not measured.")
    return "\n".join(lines) + "\n"


def write_section(path: Path, text: str) -> None:
    """Put the section into ``path``: replaces an earlier "Replicas" section, else appends."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text + "\n", old, count=1)
    else:
        new = (old.rstrip("\n") + "\n\n" if old else "") + text
    path.write_text(new, encoding="utf-8")
