"""deploy/: the production nginx site is valid nginx, its limits follow config.py, and a
replica refuses to start without the secret all replicas must share (issue 15).

The behaviour behind the proxy (affinity, failover, the login surviving a dead replica)
is tested in the browser: tests/e2e/test_scale_out.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import local

ROOT = Path(__file__).resolve().parents[1]


def _nginx() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx missing: .ci/run installs it")
        pytest.skip("nginx not installed")
    return binary


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "chain.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=pengaduan.example.go.id", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _render(args: list[str], **env: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "deploy.local", "nginx", *args],
        cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def test_the_production_site_is_valid_nginx_with_tls_affinity_and_the_upload_limit(tmp_path):
    nginx = _nginx()
    cert, key = _self_signed(tmp_path)
    site = _render(
        ["--replicas", "3", "--first-port", "8501", "--server-name", "pengaduan.example.go.id",
         "--certificate", str(cert), "--certificate-key", str(key)],
        UPLOAD_MAX_MB="7",
    )  # fmt: skip
    assert re.findall(r"server 127\.0\.0\.1:(\d+) ", site) == ["8501", "8502", "8503"]
    assert "client_max_body_size 8m;" in site  # UPLOAD_MAX_MB + the multipart envelope
    assert "hash $lp_route_key consistent;" in site
    assert "lp_route=$request_id; Path=/; HttpOnly; SameSite=Lax; Secure" in site
    assert f"ssl_certificate {cert};" in site and "return 301 https://" in site
    assert "@" not in re.sub(r"#.*", "", site)  # every placeholder filled in
    # nginx -t on it, inside a minimal http block (what Debian's nginx.conf gives).
    (tmp_path / "layanan.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/layanan.conf;\n}}\n"
    )
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr


def test_a_replica_takes_its_upload_limit_from_config(monkeypatch):
    monkeypatch.setenv("UPLOAD_MAX_MB", "7")
    import config

    config.get_settings.cache_clear()
    try:
        command = local.streamlit_command(8511)
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()
    assert "--server.maxUploadSize=7" in command
    assert "--server.port=8511" in command and "--server.address=127.0.0.1" in command


def test_a_replica_refuses_to_start_without_the_shared_cookie_secret():
    env = {k: v for k, v in os.environ.items() if k != local.COOKIE_SECRET_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "deploy.local", "replica", "--port", str(local.free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"{local.COOKIE_SECRET_ENV} is not set" in result.stderr


def test_the_systemd_units_start_what_the_local_runner_starts():
    units = ROOT / "deploy" / "systemd"
    replica = (units / "layanan-app@.service").read_text()
    assert "ExecStart=/srv/layanan/venv/bin/python -m deploy.local replica --port %i" in replica
    assert local.replica_command(8501)[1:] == ["-m", "deploy.local", "replica", "--port", "8501"]
    assert "-m services.outbox" in (units / "layanan-outbox.service").read_text()
    assert "-m deploy.local migrate" in (units / "layanan-migrate.service").read_text()
    env = (ROOT / "deploy" / "env.example").read_text()
    for name in ("OUTBOX_WORKER=external", f"{local.COOKIE_SECRET_ENV}=", "COOKIE_SECURE=true"):
        assert name in env
