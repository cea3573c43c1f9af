"""`sightline serve --workers N`: the API in N processes, the background jobs exactly once.

One worker: the API and the jobs share one process and event loop (what `serve` always did). Several: this
process binds the port and supervises (uvicorn's `Multiprocess`: a worker that dies is replaced, SIGTERM or
SIGINT stops them all gracefully), the N API workers accept on that one socket and run no job, and one job
process runs `run_worker` (what `sightline worker` runs), started again if it dies. Why this design:
docs/decisions/ops-workers.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.context import SpawnProcess
from typing import TYPE_CHECKING, TypedDict

import uvicorn
from uvicorn.config import STARTUP_FAILURE  # a worker that could not start: the supervisor gives up
from uvicorn.supervisors import Multiprocess

from sightline.config import Settings
from sightline.observability import configure_logging

if TYPE_CHECKING:
    from fastapi import FastAPI

# Beside uvicorn's own supervisor messages ("Started parent process", "Child process [...] died").
log = logging.getLogger("uvicorn.error")

# Additions to the app (the demo's receiver). Sent to each worker process: a module-level function or a partial.
AppExtension = Callable[["FastAPI"], None]
# A job process that exits is started again, but never sooner than this after its last start (no tight loop when
# it cannot start at all, e.g. the database is down).
JOB_RESTART_SECONDS = 5.0
WORKER_HEALTHCHECK_SECONDS = 30
_SPAWN = multiprocessing.get_context("spawn")  # what uvicorn uses for its workers: no state inherited by accident
_PR_SET_PDEATHSIG = 1


class ProxyOptions(TypedDict, total=False):
    proxy_headers: bool
    forwarded_allow_ips: str


def proxy_options(settings: Settings) -> ProxyOptions:
    """uvicorn's handling of X-Forwarded-For/-Proto: believed only from SIGHTLINE_TRUSTED_PROXIES, never otherwise
    (uvicorn alone would trust 127.0.0.1). It rewrites the client address and scheme before the app sees them, so
    throttles, rate limits, the access log and Secure cookies all see the real client."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    import ipaddress

    # Written out as uvicorn parses them (it would take "10.0.0.1/8" for a host name, silently).
    trusted = [
        str(ipaddress.ip_network(entry, strict=False)) if "/" in entry else str(ipaddress.ip_address(entry))
        for entry in settings.trusted_proxies
    ]
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted)}


def default_workers() -> int:
    """One API worker per core this process may run on (`taskset` and cgroup cpusets narrow it), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def serve(
    settings: Settings, url: str, host: str, port: int, *, workers: int, extend: AppExtension | None = None
) -> None:
    """Serve the API (with `extend`'s additions) on `host`:`port` in `workers` processes, until SIGTERM or SIGINT.

    The port listens before any app starts: requests that arrive meanwhile (the demo's jobs calling its own
    receiver) wait in the backlog instead of being refused.
    """
    # The address given on the command line is the one links point at (chat messages, digests, pings).
    settings = settings.model_copy(update={"host": host, "port": port})
    config = _config(settings, url, host, port, workers=workers, extend=extend)
    listening = config.bind_socket()
    listening.listen(config.backlog)
    if workers == 1:
        _serve_in_process(config, listening)
        return
    jobs = JobProcess(url, settings) if settings.worker_in_process else None
    supervisor = Supervisor(config, [listening], jobs)
    supervisor.run()
    if supervisor.failed_to_start():
        sys.exit(STARTUP_FAILURE)


def _config(
    settings: Settings, url: str, host: str, port: int, *, workers: int, extend: AppExtension | None
) -> uvicorn.Config:
    if workers > 1:  # the jobs run once, in the job process (or in `sightline worker`s), never in an API worker
        settings = settings.model_copy(update={"worker_in_process": False})
    return uvicorn.Config(
        partial(build_app, url, settings, extend, parent=os.getpid() if workers > 1 else None),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the service writes its own (http/middleware.py)
        timeout_keep_alive=30,
        # A new worker answers the supervisor's health check only once Python has started and imported the
        # service: uvicorn's 5 s killed slow starts on a busy machine (as hung), over and over.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        **proxy_options(settings),
    )


def build_app(url: str, settings: Settings, extend: AppExtension | None, *, parent: int | None) -> FastAPI:
    """The application of one API worker, made in its own process (uvicorn calls this factory there)."""
    from sightline.app import create_app, tune_garbage_collector

    if parent is not None:
        _stop_with(parent)
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(url, settings)
    if extend is not None:
        extend(app)
    tune_garbage_collector()
    return app


def _serve_in_process(config: uvicorn.Config, listening: socket.socket) -> None:
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listening])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def run_jobs(url: str, settings: Settings, parent: int) -> None:
    """The job process: the background jobs until SIGTERM or SIGINT (run_worker stops them gracefully)."""
    from sightline.worker import run_worker

    _stop_with(parent)
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(run_worker(url, settings))


def _stop_with(parent: int) -> None:
    """SIGTERM to this process when the supervisor dies, even by SIGKILL (Linux): no orphaned worker keeps the
    port or runs jobs beside the next `serve`'s."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request above took effect
        os.kill(os.getpid(), signal.SIGTERM)


class JobProcess:
    """The one process that runs the background jobs beside the API workers."""

    def __init__(self, url: str, settings: Settings) -> None:
        self._target = partial(run_jobs, url, settings, os.getpid())
        self._process: SpawnProcess | None = None
        self._started_at = 0.0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        self._process = _SPAWN.Process(target=self._target, name="sightline-jobs")
        self._process.start()
        self._started_at = time.monotonic()
        log.info("Started job process [%s]", self._process.pid)

    def keep_alive(self) -> None:
        """Start another job process when this one exited (not sooner than JOB_RESTART_SECONDS after the last)."""
        if self._process is None or self._process.is_alive():
            return
        if time.monotonic() - self._started_at < JOB_RESTART_SECONDS:
            return
        self._process.join()
        log.warning("Job process [%s] exited with %s; starting another", self._process.pid, self._process.exitcode)
        self.start()

    def terminate(self) -> None:
        if self._process is not None and self._process.is_alive() and self._process.pid is not None:
            os.kill(self._process.pid, signal.SIGTERM)

    def join(self) -> None:
        if self._process is not None:
            self._process.join()


class Supervisor(Multiprocess):
    """uvicorn's supervisor of the API workers, with the job process beside them: started first, kept alive,
    stopped (SIGTERM: its jobs finish what they hold) at the same time as the workers, joined after them."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], jobs: JobProcess | None) -> None:
        super().__init__(config, sockets)
        self.jobs = jobs

    def init_processes(self) -> None:
        if self.jobs is not None:
            self.jobs.start()
        super().init_processes()

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        if self.jobs is not None and not self.should_exit.is_set():
            self.jobs.keep_alive()

    def terminate_all(self) -> None:
        super().terminate_all()
        if self.jobs is not None:
            self.jobs.terminate()

    def join_all(self) -> None:
        super().join_all()
        if self.jobs is not None:
            self.jobs.join()

    def failed_to_start(self) -> bool:
        return any(process.exitcode == STARTUP_FAILURE for process in self.processes)
