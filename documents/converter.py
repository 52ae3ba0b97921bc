"""Word to PDF through one warm LibreOffice (``unoserver``), with the cold path as fallback.

A cold ``soffice --convert-to pdf`` (``documents.pdf.to_pdf``) starts LibreOffice for
every file: 2-5 s on this office's server. ``unoserver`` (PyPI, pinned) keeps one
LibreOffice running and converts over XML-RPC in a fraction of a second. Its server
half needs LibreOffice's own Python bridge (``import uno``; Debian: ``python3-uno``),
which lives in the system Python, not in our virtualenv, so the server runs under
``UNOSERVER_PYTHON`` (default ``/usr/bin/python3``) with only the unoserver package of
our virtualenv on its path; the client half (``unoserver.client.UnoClient``) runs here.

``UNOSERVER_ADDRESS`` (``host:port``) names a server someone else runs (a deployment's
own service). Empty (default): the first conversion of the process starts its own on two
free local ports, in its own process group, stopped at exit. Whenever the warm path is
not there or fails, ``convert`` falls back to the cold path with its process-group
timeout, so a letter is never left unconverted for want of the warm server.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import xmlrpc.client
from importlib import metadata
from pathlib import Path

from config import get_settings
from documents import pdf

log = logging.getLogger("layanan.converter")

START_SECONDS = 30  # LibreOffice's first start on a busy machine

# Runs unoserver and stops its whole process group when the app process is gone: a
# server stopped by SIGTERM or SIGKILL runs no atexit handler, and an orphaned
# LibreOffice would keep its memory (seen after test servers were terminated).
WATCHDOG = """
import os, signal, subprocess, sys, time
parent = int(sys.argv[1])
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stop() signals the group: the child ends
child = subprocess.Popen([sys.executable, "-m", "unoserver.server", *sys.argv[2:]])
while child.poll() is None:
    if os.getppid() != parent:
        os.killpg(0, signal.SIGTERM)
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            pass
        os.killpg(0, signal.SIGKILL)
    time.sleep(1)
sys.exit(child.returncode)
"""
CONVERSION_TIMEOUT = pdf.TIMEOUT_SECONDS  # the server stops a hung conversion itself


class _Warm:
    """This process's own unoserver, started on first use."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.address: tuple[str, int] | None = None
        self.broken: str | None = None  # why the warm path is off in this process
        self.workdir: tempfile.TemporaryDirectory | None = None

    def _path_dir(self) -> str:
        """A directory holding only our unoserver package (and its metadata, which
        unoserver reads for its version), for the system Python's path."""
        dist = metadata.distribution("unoserver")
        assert self.workdir is not None
        root = Path(self.workdir.name) / "path"
        root.mkdir(exist_ok=True)
        package = Path(dist.locate_file("unoserver"))
        (root / "unoserver").symlink_to(package)
        info = Path(dist._path)  # type: ignore[attr-defined]  # the .dist-info folder
        (root / info.name).symlink_to(info)
        return str(root)

    def start(self) -> tuple[str, int] | None:
        python = get_settings().unoserver_python
        binary = pdf.soffice_binary()
        if binary is None:
            self.broken = "LibreOffice (soffice) tidak terpasang"
            return None
        probe = subprocess.run(
            [python, "-c", "import uno"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode != 0:
            self.broken = f"{python} tidak dapat mengimpor uno (pasang python3-uno)"
            log.warning("warm converter off: %s; using cold soffice per file", self.broken)
            return None
        self.workdir = tempfile.TemporaryDirectory(prefix="layanan-uno-")
        port, uno_port = _free_port(), _free_port()
        env = dict(os.environ, PYTHONPATH=self._path_dir())
        command = [
            python,
            "-c",
            WATCHDOG,
            str(os.getpid()),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--uno-port",
            str(uno_port),
            "--executable",
            binary,
            "--conversion-timeout",
            str(CONVERSION_TIMEOUT),
            "--user-installation",
            str(Path(self.workdir.name) / "profile"),
            "--quiet",
        ]
        # Own process group: stopping the server must stop soffice.bin with it.
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        address = ("127.0.0.1", port)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if _answers(address):
                self.address = address
                log.info("warm converter started on port %s", port)
                return address
            time.sleep(0.2)
        self.stop()
        self.broken = "unoserver tidak dapat dijalankan"
        log.warning("warm converter off: %s; using cold soffice per file", self.broken)
        return None

    def get(self) -> tuple[str, int] | None:
        with self.lock:
            if self.process is not None and self.process.poll() is not None:
                # LibreOffice died (or the server stopped a hung conversion): restart.
                log.warning("warm converter exited (%s); restarting", self.process.returncode)
                self.stop()
            if self.address is None and self.broken is None:
                return self.start()
            return self.address

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(2)  # unoserver may wait on a zombie soffice.bin
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        self.address = None
        if self.workdir is not None:
            self.workdir.cleanup()
            self.workdir = None


_warm = _Warm()
atexit.register(_warm.stop)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(address: tuple[str, int]) -> bool:
    host, port = address
    proxy = xmlrpc.client.ServerProxy(f"http://{host}:{port}", allow_none=True)
    try:
        proxy.info()
    except (OSError, xmlrpc.client.Error):
        return False
    return True


def _server() -> tuple[str, int] | None:
    configured = get_settings().unoserver_address
    if configured:
        host, _, port = configured.rpartition(":")
        return host or "127.0.0.1", int(port)
    return _warm.get()


def warm_up() -> bool:
    """Start the warm server now (the worker calls it at start); whether it runs."""
    return _server() is not None


def stop() -> None:
    """Stop this process's own warm server (tests; at exit it stops by itself)."""
    with _warm.lock:
        _warm.stop()
        _warm.broken = None


def convert(docx: bytes) -> bytes:
    """The PDF of ``docx``: warm when the server answers, else cold (``pdf.to_pdf``)."""
    address = _server()
    if address is not None:
        from unoserver.client import UnoClient

        host, port = address
        try:
            if _answers(address):
                return UnoClient(server=host, port=str(port)).convert(indata=docx, convert_to="pdf")
        except (OSError, xmlrpc.client.Error, RuntimeError) as exc:
            log.warning("warm conversion failed (%s); converting cold", exc)
    return pdf.to_pdf(docx)
