"""Render the nginx site and run the whole site on one machine: N replicas, worker, nginx.

    python -m deploy.local nginx --replicas 3 --server-name pengaduan.example.go.id \\
        --certificate CHAIN.pem --certificate-key KEY.pem > /etc/nginx/sites-available/layanan
    python -m deploy.local migrate                 # DATABASE_URL from the env (config.py)
    deploy/run-local --replicas 2 --port 8080      # same as python -m deploy.local run ...

``nginx`` prints the production site (docs/deployment.md). ``run`` starts, given
``DATABASE_URL`` (one PostgreSQL), the pieces that need no PostgreSQL of their own:
``--replicas`` times ``streamlit run app.py`` on free loopback ports, the outbox worker
(``python -m services.outbox``) and an unprivileged nginx in a directory of its own, in
front of them on ``--port``, with the very site template production uses (only the
listener differs: plain http on loopback, TLS being the operator's). It runs until
SIGINT/SIGTERM. ``tests/e2e/test_scale_out.py`` and ``benchmarks.run --replicas`` use
``Deployment`` from here, so the test exercises what the documentation installs.
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
SITE_TEMPLATE = HERE / "nginx" / "layanan.conf.template"
LOCAL_MAIN_TEMPLATE = HERE / "nginx" / "local-main.conf.template"
ROUTE_COOKIE = "lp_route"
# What a replica answers when it is ready: the app's own health route, its database check
# only. The site-wide checks (outbox lag, worker heartbeat) would take every replica out of
# rotation at once when the one worker stops; they are for monitoring (docs/operations.md).
READY_PATH = "/healthz?scope=replica"
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"
UNPRIVILEGED_USER = "nobody"  # nginx's account when started by root (CI runs as root)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def upload_max_mb() -> int:
    from config import get_settings

    return get_settings().upload_max_mb


def render_site(
    ports: list[int],
    *,
    listen: str,
    body_max_mb: int,
    secure_cookie: bool,
    host: str = "127.0.0.1",
) -> str:
    """The nginx site (``deploy/nginx/layanan.conf.template``) for replicas on ``ports``.

    ``listen`` is the server block's listener lines (TLS in production). The body limit
    is the upload limit plus 1 MB of multipart envelope (see the template).
    """
    servers = "\n".join(f"    server {host}:{port} max_fails=1 fail_timeout=10s;" for port in ports)
    text = SITE_TEMPLATE.read_text(encoding="utf-8")
    for key, value in {
        "@SERVERS@": servers,
        "@LISTEN@": listen,
        "@BODY_MAX@": str(body_max_mb + 1),
        "@ROUTE_COOKIE_FLAGS@": "; Secure" if secure_cookie else "",
    }.items():
        text = text.replace(key, value)
    return text


def tls_listen(server_name: str, certificate: str, key: str) -> str:
    """Listener lines of the production server block: TLS ends at nginx with the
    operator's certificate; the replicas behind it speak plain http on loopback."""
    return "\n".join(
        [
            "    listen 443 ssl http2;",
            "    listen [::]:443 ssl http2;",
            f"    server_name {server_name};",
            f"    ssl_certificate {certificate};",
            f"    ssl_certificate_key {key};",
            "    ssl_protocols TLSv1.2 TLSv1.3;",
            "    ssl_session_cache shared:layanan_tls:10m;",
            '    add_header Strict-Transport-Security "max-age=31536000" always;',
        ]
    )


def redirect_block(server_name: str) -> str:
    return (
        "\nserver {\n    listen 80;\n    listen [::]:80;\n"
        f"    server_name {server_name};\n"
        "    return 301 https://$host$request_uri;\n}\n"
    )


def streamlit_command(port: int) -> list[str]:
    """``streamlit run app.py`` for one replica on loopback ``port``. The upload limit is
    UPLOAD_MAX_MB (config.py), so the widget, services/uploads.py and nginx agree."""
    return [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        f"--server.maxUploadSize={upload_max_mb()}",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
    ]  # fmt: skip


def replica_command(port: int) -> list[str]:
    """What systemd's layanan-app@.service and ``run`` start: ``replica --port N``, which
    checks the shared cookie secret and then becomes ``streamlit_command`` (exec)."""
    return [sys.executable, "-m", "deploy.local", "replica", "--port", str(port)]


def exec_replica(port: int) -> None:
    if not os.environ.get(COOKIE_SECRET_ENV):
        # Streamlit would make up a random one per process: cookies it signs (st.login,
        # its OIDC flow) would then be refused by every other replica.
        raise SystemExit(
            f"{COOKIE_SECRET_ENV} is not set: give every replica the same secret "
            "(openssl rand -hex 32, in /etc/layanan/env; docs/deployment.md)"
        )
    command = streamlit_command(port)
    os.chdir(ROOT)
    os.execv(command[0], command)


def _wait_http(url: str, process: subprocess.Popen | None, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready at {url} within {timeout:.0f} s")
        time.sleep(0.3)


@dataclass
class Replica:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def address(self) -> str:
        """As nginx names it in ``$upstream_addr`` (the X-Upstream header)."""
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Deployment:
    """N replicas + the outbox worker + nginx on loopback, on one database.

    ``env`` is added to the environment of every process (e.g. settings of a test). The
    replicas share one ``server.cookieSecret`` (``STREAMLIT_SERVER_COOKIE_SECRET`` from
    the environment, else a fresh random one for this run).
    """

    database_url: str
    replicas: int = 2
    port: int | None = None
    worker: bool = True
    env: dict[str, str] = field(default_factory=dict)
    directory: Path | None = None
    started: list[Replica] = field(default_factory=list, init=False)
    processes: list[subprocess.Popen] = field(default_factory=list, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _environment(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env.update(
            DATABASE_URL=self.database_url,
            OUTBOX_WORKER="external",  # the worker is its own service
            PUBLIC_BASE_URL=env.get("PUBLIC_BASE_URL") or self.url,
            TRUST_PROXY_FROM=env.get("TRUST_PROXY_FROM") or "127.0.0.1",
            PYTHONUNBUFFERED="1",
        )
        env[COOKIE_SECRET_ENV] = env.get(COOKIE_SECRET_ENV) or secrets.token_hex(32)
        return env

    def start(self, timeout: float = 90.0) -> Deployment:
        self.port = self.port or free_port()
        self.directory = Path(self.directory or tempfile.mkdtemp(prefix="layanan-deploy-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        env = self._environment()
        max_mb = int(env.get("UPLOAD_MAX_MB") or upload_max_mb())
        # Migrate once before the replicas start (they would each take the schema lock).
        subprocess.run(
            [sys.executable, "-m", "deploy.local", "migrate"], cwd=ROOT, env=env, check=True
        )
        for index in range(self.replicas):
            port = free_port()
            log = self.directory / f"replica-{index}.log"
            with log.open("wb") as handle:
                process = subprocess.Popen(
                    replica_command(port),
                    cwd=ROOT,
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.started.append(Replica(port, process, log))
            self.processes.append(process)
        if self.worker:
            with (self.directory / "worker.log").open("wb") as handle:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "services.outbox"],
                        cwd=ROOT,
                        env=env,
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        try:
            self.processes.append(self._start_nginx(max_mb))
            for index, replica in enumerate(self.started):
                _wait_http(
                    f"http://{replica.address}{READY_PATH}",
                    replica.process,
                    timeout,
                    f"replica {index} (log {replica.log})",
                )
            _wait_http(f"{self.url}/healthz", self.processes[-1], 20, "nginx")
        except BaseException:
            self.stop()
            raise
        return self

    def _start_nginx(self, max_mb: int) -> subprocess.Popen:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise FileNotFoundError("nginx not found: apt-get install nginx")
        # Its own prefix outside any private test directory: when started by root, nginx
        # runs as an unprivileged account that must be able to read and write it.
        prefix = Path(tempfile.mkdtemp(prefix="layanan-nginx-"))
        self.nginx_prefix = prefix
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "tmp" / sub).mkdir(parents=True)
        site = render_site(
            [r.port for r in self.started],
            listen=f"    listen 127.0.0.1:{self.port};",
            body_max_mb=max_mb,
            secure_cookie=False,
        )
        (prefix / "layanan.conf").write_text(site, encoding="utf-8")
        main = LOCAL_MAIN_TEMPLATE.read_text(encoding="utf-8").replace("@PREFIX@", str(prefix))
        (prefix / "nginx.conf").write_text(main, encoding="utf-8")
        command = [binary, "-p", str(prefix), "-e", str(prefix / "error.log"),
                   "-c", str(prefix / "nginx.conf")]  # fmt: skip
        if os.geteuid() == 0:
            account = pwd.getpwnam(UNPRIVILEGED_USER)
            for path in [prefix, *prefix.rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid)
            command = ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]
        subprocess.run([*command, "-t", "-q"], check=True)
        with (self.directory / "nginx.out").open("wb") as handle:
            return subprocess.Popen(
                command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self, index: int) -> None:
        """SIGKILL one replica (a crash: no goodbye to its browsers) and wait for it."""
        process = self.started[index].process
        process.kill()
        process.wait(10)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        prefix = getattr(self, "nginx_prefix", None)
        if prefix is not None:
            for name in ("error.log", "access.log"):
                if (prefix / name).exists() and self.directory is not None:
                    shutil.copy(prefix / name, self.directory / f"nginx-{name}")
            shutil.rmtree(prefix, ignore_errors=True)

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    site = commands.add_parser("nginx", help="print the production nginx site")
    site.add_argument("--replicas", type=int, required=True)
    site.add_argument("--first-port", type=int, default=8501)
    site.add_argument("--server-name", required=True)
    site.add_argument("--certificate", required=True, help="PEM chain (the operator's)")
    site.add_argument("--certificate-key", required=True)
    commands.add_parser("migrate", help="bring DATABASE_URL's schema to the newest revision")
    replica = commands.add_parser("replica", help="one replica (what systemd starts)")
    replica.add_argument("--port", type=int, required=True)
    run = commands.add_parser("run", help="replicas + worker + nginx on loopback")
    run.add_argument("--replicas", type=int, default=2)
    run.add_argument("--port", type=int, default=None, help="nginx's port (default: free)")
    run.add_argument("--no-worker", action="store_true")
    run.add_argument("--dir", type=Path, default=None, help="logs (default: a temp dir)")
    args = parser.parse_args(argv)

    if args.command == "nginx":
        ports = [args.first_port + i for i in range(args.replicas)]
        listen = tls_listen(args.server_name, args.certificate, args.certificate_key)
        text = render_site(ports, listen=listen, body_max_mb=upload_max_mb(), secure_cookie=True)
        print(text + redirect_block(args.server_name), end="")
        return 0
    if args.command == "migrate":
        from config import get_settings
        from db.engine import migrate

        migrate(get_settings().database_url)
        return 0
    if args.command == "replica":
        exec_replica(args.port)
    if "DATABASE_URL" not in os.environ:
        parser.error("DATABASE_URL is not set (e.g. postgresql+psycopg://layanan@/layanan)")
    deployment = Deployment(
        os.environ["DATABASE_URL"],
        replicas=args.replicas,
        port=args.port,
        worker=not args.no_worker,
        directory=args.dir,
    )
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with deployment:
        replicas = [r.process for r in deployment.started]
        pids = " ".join(str(r.pid) for r in deployment.started)
        print(f"{deployment.url} replicas pids {pids}; logs in {deployment.directory}", flush=True)
        try:
            # A dead replica is nginx's business (its browsers move to the others); the
            # runner stops when nginx or the worker stops.
            others = [p for p in deployment.processes if p not in replicas]
            while not stop and all(p.poll() is None for p in others):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
