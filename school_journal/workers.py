"""Extra webhook workers (``journal run --webhook --workers N``).

One Python process handles updates on one core. With ``N`` workers the first process (the
one ``journal run`` started: database, migrations, menu, webhook, scheduler and sender)
starts ``N - 1`` more that only handle updates. All of them open the webhook port with
SO_REUSEPORT, and the kernel spreads Telegram's connections over them; conversation
state is in PostgreSQL, so any worker can take any update. A worker that dies is started
again after a pause; on stop every worker gets SIGTERM and is waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping

log = logging.getLogger(__name__)

SERVE_ONLY_FLAG = "--serve-only"
# What a worker prints on its standard output once it listens on the port: the first
# process sets the webhook only then, so that Telegram's first connections, which it keeps
# open, are spread over every worker and not all made to the first one.
READY_LINE = "journal-worker-ready"
READY_TIMEOUT = 60.0


def announce_ready() -> None:
    print(READY_LINE, flush=True)


def worker_command() -> list[str]:
    return [sys.executable, "-m", "school_journal", "run", "--webhook", SERVE_ONLY_FLAG]


def worker_environment(database_url: str, workers: int) -> dict[str, str]:
    """The parent's environment, pointed at the parent's database (the embedded one too),
    which the parent has already migrated. The URL goes by environment, not by the
    command line, where ``ps`` would show its password."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        MIGRATE_ON_START="false",
        WEBHOOK_WORKERS=str(workers),
    )
    return env


class Workers:
    """Keeps ``count`` extra worker processes running until ``stop``."""

    def __init__(
        self,
        count: int,
        command: list[str],
        env: Mapping[str, str],
        *,
        restart_delay: float = 2.0,
        stop_timeout: float = 30.0,
    ) -> None:
        self.count = count
        self.command = command
        self.env = dict(env)
        self.restart_delay = restart_delay
        self.stop_timeout = stop_timeout
        self.processes: list[asyncio.subprocess.Process | None] = [None] * count
        self.ready = [asyncio.Event() for _ in range(count)]
        self.restarts = 0
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._keep(i)) for i in range(self.count)]

    async def _keep(self, index: int) -> None:
        while not self._stopping.is_set():
            process = await asyncio.create_subprocess_exec(
                *self.command,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                # Not in the terminal's process group: Ctrl+C reaches the first process
                # only, which stops the workers with SIGTERM (a worker still starting up
                # would otherwise die of it and be counted as a crash).
                start_new_session=True,
            )
            self.processes[index] = process
            assert process.stdout is not None
            async for line in process.stdout:
                if line.decode(errors="replace").strip() == READY_LINE:
                    self.ready[index].set()
            code = await process.wait()
            if self._stopping.is_set():
                return
            self.restarts += 1
            log.error(
                "webhook worker %d (pid %d) exited with %s; starting it again in %.0f s",
                index + 1,
                process.pid,
                code,
                self.restart_delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.restart_delay)

    async def wait_ready(self) -> bool:
        """Until every worker listens (at most ``READY_TIMEOUT``): whether they all do."""
        try:
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in self.ready)), READY_TIMEOUT)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        self._stopping.set()
        running = [p for p in self.processes if p is not None and p.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                await asyncio.wait_for(process.wait(), self.stop_timeout)
            except TimeoutError:
                log.error("webhook worker pid %d did not stop; killing it", process.pid)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def stop_with_parent(stop: asyncio.Event, every: float = 1.0) -> AsyncIterator[None]:
    """In a worker: set ``stop`` if the first process goes away without stopping it (killed
    with SIGKILL, say), so that no orphan keeps the port."""
    parent = os.getppid()

    async def watch() -> None:
        while os.getppid() == parent:  # noqa: ASYNC110 (nothing to await: the OS reparents)
            await asyncio.sleep(every)
        log.error("the first process (pid %d) is gone: this webhook worker stops", parent)
        stop.set()

    watcher = asyncio.create_task(watch())
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


@contextlib.asynccontextmanager
async def extra_workers(database_url: str, workers: int) -> AsyncIterator[Workers | None]:
    """``workers - 1`` extra webhook workers while the block runs (none for 1)."""
    if workers <= 1:
        yield None
        return
    pool = Workers(workers - 1, worker_command(), worker_environment(database_url, workers))
    await pool.start()
    if await pool.wait_ready():
        log.info("%d more webhook workers are listening", workers - 1)
    else:
        log.warning("not every webhook worker is listening after %.0f s", READY_TIMEOUT)
    try:
        yield pool
    finally:
        await pool.stop()
