"""`sightline serve --workers N`: the API in N processes, the background jobs exactly once.

One worker: the API and the jobs share one process and event loop (what `serve` always did). Several: this
process binds the port, builds the app once and forks the N API workers from it (they accept on that one
socket, share its code and startup heap copy-on-write, and run no job) and one job process, which runs
`run_worker` (what `sightline worker` runs). It replaces a process that dies, and on SIGTERM or SIGINT stops
them all gracefully and waits for them. Why this design: docs/decisions/ops-workers.md.
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
import threading
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, TypedDict

import uvicorn
from uvicorn.config import STARTUP_FAILURE  # uvicorn's exit code for a server that could not start

from sightline.config import Settings
from sightline.observability import configure_logging

if TYPE_CHECKING:
    from fastapi import FastAPI

# Beside uvicorn's own lines ("Started server process [...]").
log = logging.getLogger("uvicorn.error")

# Additions to the app (the demo's receiver).
AppExtension = Callable[["FastAPI"], None]
# A job process that exits is started again, but never sooner than this after its last start (no tight loop when
# it cannot start at all, e.g. the database is down).
JOB_RESTART_SECONDS = 5.0
# Forks of the supervisor, which holds no thread, connection or event loop when it forks (the migrations' and the
# demo loader's engines are disposed): a worker starts in a fraction of a second instead of importing everything.
_FORK = multiprocessing.get_context("fork")
_PR_SET_PDEATHSIG = 1
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


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
    config.load()  # the app, built once here (every worker is a fork of this process)
    if workers == 1:
        _serve_in_process(config, listening)
        return
    jobs = JobProcess(url, settings) if settings.worker_in_process else None
    code = Supervisor(config, listening, workers=workers, jobs=jobs).run()
    if code:
        sys.exit(code)


def _config(
    settings: Settings, url: str, host: str, port: int, *, workers: int, extend: AppExtension | None
) -> uvicorn.Config:
    if workers > 1:  # the jobs run once, in the job process (or in `sightline worker`s), never in an API worker
        settings = per_worker(settings, workers).model_copy(update={"worker_in_process": False})
    return uvicorn.Config(
        partial(build_app, url, settings, extend),
        factory=True,
        host=host,
        port=port,
        access_log=False,  # the service writes its own (http/middleware.py)
        timeout_keep_alive=30,
        **proxy_options(settings),
    )


def per_worker(settings: Settings, workers: int) -> Settings:
    """Each API worker's share of the configured pools: N workers hold what one would, not N times it (a
    machine's cores must not multiply the connections past PostgreSQL's `max_connections`)."""
    return settings.model_copy(
        update={
            "db_pool_size": max(2, -(-settings.db_pool_size // workers)),
            "db_max_overflow": settings.db_max_overflow // workers,
        }
    )


def build_app(url: str, settings: Settings, extend: AppExtension | None) -> FastAPI:
    """The application (its engines and jobs start with its lifespan, in the process that serves it)."""
    from sightline.app import create_app, tune_garbage_collector

    configure_logging(settings.log_level, settings.log_format)
    app = create_app(url, settings)
    if extend is not None:
        extend(app)
    tune_garbage_collector()  # before any fork too: the frozen startup heap stays shared with the workers
    return app


def _serve_in_process(config: uvicorn.Config, listening: socket.socket) -> None:
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listening])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _as_child(parent: int) -> None:
    """In a fresh fork: the default signal handlers until uvicorn or the worker installs its own, and SIGTERM
    when the supervisor dies, even by SIGKILL (Linux), so no orphan keeps the port or runs jobs beside the next
    `serve`'s."""
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # held by `_fork`: one that came meanwhile stops it
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request above took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _fork(target: Callable[..., None], *args: object, name: str) -> BaseProcess:
    """Start `target(*args, supervisor's pid)` in a fork; SIGINT and SIGTERM are held until the child has its
    own handlers (the supervisor's, inherited, would swallow them)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        process = _FORK.Process(target=target, args=(*args, os.getpid()), name=name)
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    return process


def _api_worker(config: uvicorn.Config, listening: socket.socket, parent: int) -> None:
    """An API worker: uvicorn on the shared socket, the app's lifespan (engines, pools) in this process."""
    _as_child(parent)
    uvicorn.Server(config).run(sockets=[listening])  # exits with STARTUP_FAILURE when the app cannot start


def run_jobs(url: str, settings: Settings, parent: int) -> None:
    """The job process: the background jobs until SIGTERM or SIGINT (run_worker stops them gracefully)."""
    from sightline.worker import run_worker

    _as_child(parent)
    asyncio.run(run_worker(url, settings))


class JobProcess:
    """The one process that runs the background jobs beside the API workers."""

    def __init__(self, url: str, settings: Settings) -> None:
        self._url, self._settings = url, settings
        self._process: BaseProcess | None = None
        self._started_at = 0.0

    def start(self) -> None:
        self._process = _fork(run_jobs, self._url, self._settings, name="sightline-jobs")
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


class Supervisor:
    """Keeps the API workers and the job process running until SIGTERM or SIGINT; then stops them all (uvicorn
    finishes the requests in flight, the jobs what they hold) and waits for them."""

    def __init__(
        self, config: uvicorn.Config, listening: socket.socket, *, workers: int, jobs: JobProcess | None
    ) -> None:
        self.config, self.listening, self.jobs = config, listening, jobs
        self.count = workers
        self.workers: list[BaseProcess] = []
        self.stopping = threading.Event()

    def run(self) -> int:
        """Until a signal; 0, or STARTUP_FAILURE when a worker could not start (it would fail again)."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stopping.set())
        log.info("Started parent process [%s]", os.getpid())
        if self.jobs is not None:
            self.jobs.start()
        self.workers = [self._start_worker() for _ in range(self.count)]
        code = 0
        while not code and not self.stopping.wait(0.5):
            code = self._keep_alive()
        for worker in self.workers:
            if worker.is_alive() and worker.pid is not None:
                os.kill(worker.pid, signal.SIGTERM)
        if self.jobs is not None:
            self.jobs.terminate()
        for worker in self.workers:
            worker.join()
        if self.jobs is not None:
            self.jobs.join()
        log.info("Stopping parent process [%s]", os.getpid())
        return code

    def _start_worker(self) -> BaseProcess:
        return _fork(_api_worker, self.config, self.listening, name="sightline-api")

    def _keep_alive(self) -> int:
        for index, worker in enumerate(self.workers):
            if worker.is_alive():
                continue
            worker.join()
            if worker.exitcode == STARTUP_FAILURE:
                log.error("Worker process [%s] could not start; stopping", worker.pid)
                return STARTUP_FAILURE
            log.warning("Worker process [%s] exited with %s; starting another", worker.pid, worker.exitcode)
            self.workers[index] = self._start_worker()
        if self.jobs is not None:
            self.jobs.keep_alive()
        return 0
