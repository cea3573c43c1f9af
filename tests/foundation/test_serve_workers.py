"""`sightline serve --workers 2` (issue 16, "Use the machine"): two API processes answer, the jobs run once.

A real `serve` on the test database, its background jobs on. Which process answers a request is read from the
operating system, not from the response: the process holding the server end of the request's connection
(/proc/net/tcp gives the socket, /proc/<pid>/fd its owner). The jobs' process is found the same way from the
webhook dispatcher's LISTEN connection in pg_stat_activity: exactly one, held by the job process, never by an
API worker; an event is delivered exactly once; a killed job process is replaced and delivery goes on; SIGTERM
lets a request in flight finish and be answered before every process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from tests.support import PASSWORD, SIGHTLINE, free_port, wait_ready
from tests.webhook_receiver import LocalReceiver
from tests.webhooks.support import check_in, endpoint_at, key_result

from sightline.config import Settings
from sightline.db.urls import asyncpg_dsn
from sightline.serving import per_worker

pytestmark = pytest.mark.slow  # real processes: two `serve --workers 2`, a job process killed on purpose

DISPATCHER = "sightline-dispatcher"  # the application_name of the dispatcher's LISTEN connection


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def children(self) -> set[int]:
        pid = self.process.pid
        return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}

    def logged_pids(self, message: str) -> list[int]:
        """The pids in uvicorn's and the supervisor's log lines "<message> [<pid>]", in order."""
        return [int(pid) for pid in re.findall(rf"{re.escape(message)} \[(\d+)\]", self.log.read_text())]

    def wait_for_log(self, done: Callable[[str], bool], within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while not done(self.log.read_text()):
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, f"not logged within {within} s:\n{self.log.read_text()}"
            time.sleep(0.1)


@contextlib.contextmanager
def _serve(database_url: str, log: Path) -> Iterator[Served]:
    """`sightline serve --workers 2` with its jobs, until both API workers have started."""
    port = free_port()
    env = {
        **os.environ,
        "SIGHTLINE_DATABASE_URL": database_url,
        "SIGHTLINE_WORKER_IN_PROCESS": "true",  # the suite turns the jobs off; here they are the point
        "SIGHTLINE_BUILD_CLIENT": "false",
        "SIGHTLINE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "SIGHTLINE_WEBHOOK_ALLOW_HTTP": "true",
        "SIGHTLINE_RECOMPUTE_INTERVAL_SECONDS": "3600",
        "SIGHTLINE_LOG_LEVEL": "WARNING",
    }
    for name in ("DATABASE_URL", "SIGHTLINE_MIGRATION_DATABASE_URL", "SIGHTLINE_WORKERS"):
        env.pop(name, None)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [SIGHTLINE, "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(process, port, log)
    try:
        wait_ready(port, process, timeout=60)
        served.wait_for_log(lambda text: text.count("Application startup complete.") >= 2)
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_read(local_port: int, remote_port: int, within: float = 10.0) -> None:
    """Until the server end of this connection has read everything sent to it (its receive queue is empty)."""
    deadline = time.monotonic() + within
    while _tcp(local_port, remote_port)[1]:
        assert time.monotonic() < deadline, "the server did not read the request"
        time.sleep(0.01)


def _socket_owner(inode: int, pids: set[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) == target:
                    return pid
    return None


def _tcp(local_port: int, remote_port: int) -> tuple[int, int]:
    """The inode and receive-queue bytes of the established TCP socket from `local_port` to `remote_port`."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16), fields[3]
        if (local, remote, state) == (local_port, remote_port, "01"):
            return int(fields[9]), int(fields[4].split(":")[1], 16)
    raise AssertionError(f"no connection from {local_port} to {remote_port}")


def _answered_by(served: Served, candidates: set[int], *, wanted: int, attempts: int = 100) -> set[int]:
    """Requests on new connections (each kept open) until `wanted` processes have answered; who answered."""
    answered: set[int] = set()
    connections = []
    try:
        for _ in range(attempts):
            connection = socket.create_connection(("127.0.0.1", served.port), timeout=10)
            connections.append(connection)
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert connection.recv(4096).startswith(b"HTTP/1.1 200 "), "not answered"
            owner = _socket_owner(_tcp(served.port, connection.getsockname()[1])[0], candidates)
            assert owner is not None, "answered by a process outside the candidates"
            answered.add(owner)
            if len(answered) == wanted:
                break
    finally:
        for connection in connections:
            connection.close()
    return answered


async def _dispatchers(admin: asyncpg.Connection) -> set[int]:
    """The backend pids of the dispatchers' LISTEN connections to this database."""
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", DISPATCHER
    )
    return {row["pid"] for row in rows}


async def _one_dispatcher(admin: asyncpg.Connection, *, gone: int | None = None, within: float = 30.0) -> int:
    """Until exactly one dispatcher listens (and not the backend `gone`); its backend pid."""
    deadline = time.monotonic() + within
    while len(found := await _dispatchers(admin)) != 1 or gone in found:
        assert time.monotonic() < deadline, f"dispatchers {found} (gone: {gone})"
        await asyncio.sleep(0.1)
    return found.pop()


async def _delivered_once(admin: asyncpg.Connection, receiver: LocalReceiver, endpoint_id: str, seen: int) -> None:
    """The endpoint's newest event arrived at the receiver once, and its delivery settled after one attempt."""
    await receiver.wait_for(lambda received: len(received) > seen, within=30)
    deadline = time.monotonic() + 30
    while True:  # the dispatcher records the answer just after the receiver gave it
        rows = await admin.fetch(
            "SELECT event_id, status, attempts FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at",
            uuid.UUID(endpoint_id),
        )
        if rows[-1]["status"] != "pending" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert len(rows) == seen + 1
    assert (rows[-1]["status"], rows[-1]["attempts"]) == ("succeeded", 1)
    assert receiver.ids().count(str(rows[-1]["event_id"])) == 1


async def _jobs_run_once(admin: asyncpg.Connection, receiver: LocalReceiver, served: Served, job_pid: int) -> None:
    """One dispatcher listens and an event is delivered once; the job process killed, its dispatcher goes, a new
    job process replaces it, and delivery goes on (still once)."""
    dispatcher = await _one_dispatcher(admin)
    async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
        email = f"wes-{uuid.uuid4().hex[:8]}@example.test"
        signup = await client.post(
            "/api/v1/signup",
            json={"organisation_name": "Workers Co", "name": "Wes", "email": email, "password": PASSWORD},
        )
        assert signup.status_code == 201, signup.text
        endpoint = await endpoint_at(client, receiver.url, event_types=["check_in.created"])
        kr = await key_result(client)
        await check_in(client, kr, 100)
        await _delivered_once(admin, receiver, endpoint["id"], seen=0)
        assert await _dispatchers(admin) == {dispatcher}  # none started late in an API worker either

        os.kill(job_pid, signal.SIGKILL)
        await asyncio.to_thread(served.wait_for_log, lambda _: len(served.logged_pids("Started job process")) == 2)
        await _one_dispatcher(admin, gone=dispatcher)
        await check_in(client, kr, 200)
        await _delivered_once(admin, receiver, endpoint["id"], seen=1)


def _stop_with_a_request_in_flight(served: Served, processes: set[int], body: bytes) -> bytes:
    """SIGTERM while a worker holds a request whose body is still coming; the answer it gets once the body came."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
        head = "POST /api/v1/signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        connection.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
        _wait_until_read(served.port, connection.getsockname()[1])  # the worker has the request's head
        served.process.send_signal(signal.SIGTERM)
        # The worker holding the request stops accepting and waits for it.
        served.wait_for_log(lambda text: "Waiting for connections to close" in text)
        connection.sendall(body[10:])
        answer = connection.recv(65536)
    assert served.process.wait(timeout=30) == 0
    assert not [pid for pid in processes if Path(f"/proc/{pid}").exists()]  # no API worker, no job process left
    return answer


async def test_two_workers_answer_the_jobs_run_once_and_sigterm_loses_no_request(
    database_url: str, admin_database_url: str, tmp_path: Path
) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(admin_database_url))
    email = f"late-{uuid.uuid4().hex[:8]}@example.test"
    late = json.dumps({"organisation_name": "Late Co", "name": "Lee", "email": email, "password": PASSWORD})
    try:
        async with LocalReceiver() as receiver:
            with _serve(database_url, tmp_path / "serve.log") as served:
                workers, jobs = (
                    set(served.logged_pids("Started server process")),
                    served.logged_pids("Started job process"),
                )
                assert len(workers) == 2 and len(jobs) == 1 and workers | set(jobs) <= served.children()
                # Two different processes answer requests on the one port.
                assert await asyncio.to_thread(_answered_by, served, served.children(), wanted=2) == workers
                # The jobs run in one process, the job process.
                await _jobs_run_once(admin, receiver, served, jobs[0])
                assert set(served.logged_pids("Started server process")) == workers  # no API worker restarted
                # SIGTERM: the request in flight is answered, then every process exits.
                processes = workers | set(served.logged_pids("Started job process"))
                answer = await asyncio.to_thread(_stop_with_a_request_in_flight, served, processes, late.encode())
        assert answer.startswith(b"HTTP/1.1 201 "), answer[:300]
        assert await admin.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 1
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError):  # nothing listens on the port any more
                await client.get(f"{served.base}/healthz")
    finally:
        await admin.close()


def test_workers_share_the_configured_pools_instead_of_multiplying_them() -> None:
    settings = Settings(db_pool_size=10, db_max_overflow=10)
    one, two, many = per_worker(settings, 1), per_worker(settings, 2), per_worker(settings, 16)
    assert (one.db_pool_size, one.db_max_overflow) == (10, 10)
    assert (two.db_pool_size, two.db_max_overflow) == (5, 5)
    assert (many.db_pool_size, many.db_max_overflow) == (2, 0)  # never below 2 connections a worker
