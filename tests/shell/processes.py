"""Natteravn's processes started as an operator starts them: the `natteravn` command and gunicorn,
configured through NATTERAVN_* environment variables, each writing its output to a file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from natteravn import ROOT

BIN = Path(sys.executable).parent
#: How long a process may take to start or to answer before a test gives up on it.
PATIENCE = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def operator_environment(folder: Path, database_url: str, **settings: object) -> dict[str, str]:
    """The environment of a production process: this test's database and instance folder, a real
    secret, and `settings` as NATTERAVN_<NAME> variables. Nothing of the test run's own NATTERAVN_*
    variables comes along."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("NATTERAVN_")}
    environment.update(
        {
            "NATTERAVN_DATABASE_URL": database_url,
            "NATTERAVN_INSTANCE_PATH": str(folder),
            "NATTERAVN_SECRET_KEY": "a-long-random-value-for-this-test-run-only-0123456789",
            "PYTHONUNBUFFERED": "1",
        }
    )
    environment.update(natteravn_variables(**settings))
    return environment


def natteravn_variables(**settings: object) -> dict[str, str]:
    """`settings` as the NATTERAVN_<NAME> variables an operator sets."""
    return {f"NATTERAVN_{name}": _written(value) for name, value in settings.items()}


def _written(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def natteravn(
    *args: str, environment: dict[str, str], timeout: float = PATIENCE, input: str | None = None
) -> subprocess.CompletedProcess:
    """`natteravn ARGS…` run to its end, with `input` on its standard input."""
    return subprocess.run(
        [str(BIN / "natteravn"), *args],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


@dataclass
class Running:
    """A process started in the background, its output going to `log`."""

    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def terminate(self, timeout: float = PATIENCE) -> int:
        """SIGTERM, as systemd, Docker and Kubernetes stop a service; the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def started(command: list[str], environment: dict[str, str], log: Path) -> Iterator[Running]:
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    running = Running(process, log)
    try:
        yield running
    finally:
        running.kill()


@contextmanager
def scheduler(environment: dict[str, str], log: Path) -> Iterator[Running]:
    """`natteravn scheduler`, once it says it runs."""
    with started([str(BIN / "natteravn"), "scheduler"], environment, log) as running:
        wait_for(lambda: "Scheduler running" in running.output(), "the scheduler to start", running)
        yield running


@contextmanager
def gunicorn(environment: dict[str, str], port: int, log: Path, workers: int = 2) -> Iterator[Running]:
    """`gunicorn wsgi:app` on 127.0.0.1:PORT, once it answers."""
    command = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "wsgi:app"]
    with started(command, environment, log) as running:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/login"), "gunicorn to answer", running)
        yield running


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=PATIENCE).status_code == 200
    except requests.ConnectionError:  # not listening yet
        return False


def wait_for(condition, what: str, running: Running | None = None, timeout: float = PATIENCE):
    """The condition's first true value, polled until `timeout`; fails saying what was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if running is not None and running.process.poll() is not None:
            break
        time.sleep(0.1)
    details = f"\n--- output ---\n{running.output()}" if running is not None else ""
    raise AssertionError(f"gave up waiting for {what}{details}")
