"""A real Takahē (a server with Mastodon's client API) for the tests, started from ../shared/servers.

Takahē 0.11.0 is read in place from ../shared/servers (never copied here): `start_takahe.sh` sets it up
and starts it, `takahe_token.py` gets a user token through Takahē's own OAuth flow. The slow first run
(Takahē's virtualenv, a migrated PostgreSQL cluster) is done once by .ci/setup.d/40-takahe.sh, which
keeps the migrated cluster, stopped, as a template. `Takahe.start` copies that template into a folder
of its own, so each test session has a fresh database and nothing is shared with another session or
worker, starts PostgreSQL and gunicorn on a free 127.0.0.1 port through start_takahe.sh, and `stop`
ends both by their PIDs (start_takahe.sh stop) and removes the copy. Where Takahē cannot run,
`TakaheUnavailable` says what is missing and how to install it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

SERVERS = Path(__file__).resolve().parents[2] / "shared" / "servers"
# Where .ci/setup.d/40-takahe.sh keeps what the first run made (both read by the setup script too)
REALPEERS_HOME = Path(os.environ.get("REALPEERS_HOME", Path.home() / ".cache" / "realpeers"))
TEMPLATE = Path(os.environ.get("POSTWRIGHT_TAKAHE_TEMPLATE", "/var/tmp/postwright-takahe-pg"))
LOGIN = ("alice@example.test", "alice-pass-12345")  # start_takahe.sh's admin user
_INSTALL = "run `bash .ci/setup.d/40-takahe.sh`"


class TakaheUnavailable(RuntimeError):
    """Takahē cannot run here; the message says what is missing and how to install it."""


def _check_install() -> None:
    if not (SERVERS / "start_takahe.sh").is_file():
        raise TakaheUnavailable(f"{SERVERS}/start_takahe.sh is missing: the tests read Takahē from ../shared")
    if not (REALPEERS_HOME / "takahe-venv" / ".installed").is_file():
        raise TakaheUnavailable(f"Takahē's virtualenv is not in {REALPEERS_HOME}/takahe-venv: {_INSTALL}")
    if not (TEMPLATE / "ready").is_file():
        raise TakaheUnavailable(f"the migrated PostgreSQL template is not in {TEMPLATE}: {_INSTALL}")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Takahe:
    """A running Takahē: its URL, the admin user's token, and what `stop` needs."""

    base_url: str
    token: str
    port: int
    folder: Path  # the PostgreSQL cluster copied from the template

    @classmethod
    def start(cls) -> Takahe:
        _check_install()
        port = _free_port()
        # postgres (the user PostgreSQL runs as, when we are root) must reach the folder: not under the
        # tests' private temporary folders
        folder = Path(tempfile.mkdtemp(prefix="postwright-takahe-", dir="/tmp"))
        folder.chmod(0o755)
        subprocess.run(["cp", "-a", str(TEMPLATE / "data"), str(folder / "data")], check=True)
        (folder / "sock").mkdir()
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(folder)], check=True)
        server = cls(f"http://127.0.0.1:{port}", "", port, folder)
        started = subprocess.run(
            ["bash", str(SERVERS / "start_takahe.sh")],
            env=server._environ(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if started.returncode != 0:
            server.stop()
            said = started.stderr[-2000:]
            raise TakaheUnavailable(f"start_takahe.sh failed ({started.returncode}):\n{said}")
        token = subprocess.run(
            [sys.executable, SERVERS / "takahe_token.py", server.base_url, ":".join(LOGIN), "read write"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if token.returncode != 0 or not token.stdout.strip():
            server.stop()
            raise TakaheUnavailable(f"takahe_token.py found no token:\n{token.stderr[-2000:]}")
        server.token = token.stdout.strip()
        return server

    def _environ(self) -> dict[str, str]:
        return {
            **os.environ,
            "REALPEERS_HOME": str(REALPEERS_HOME),
            "TAKAHE_PORT": str(self.port),
            "TAKAHE_PG_DIR": str(self.folder),
        }

    def stop(self) -> None:
        """gunicorn and PostgreSQL by their PIDs (start_takahe.sh stop), waiting until gunicorn is gone
        (it finishes its requests first), then the copied cluster."""
        state = REALPEERS_HOME / f"takahe-state-{self.port}"
        pid_file = state / "gunicorn.pid"
        gunicorn = int(pid_file.read_text()) if pid_file.is_file() else None
        subprocess.run(
            ["bash", str(SERVERS / "start_takahe.sh"), "stop"],
            env=self._environ(),
            capture_output=True,
            timeout=120,
        )
        for _ in range(300):
            if gunicorn is None or not _running(gunicorn):
                break
            time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)

    def client(self) -> httpx.Client:
        """An HTTP client that talks to Takahē directly, as the admin user."""
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60
        )
