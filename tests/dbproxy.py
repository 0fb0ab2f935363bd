"""A TCP proxy in front of the test PostgreSQL: ``down()`` is what an outage does to the
app (every connection cut, new ones refused), ``up()`` brings the database back. Cheaper
and steadier than stopping a server of its own, and the app sees the same errors."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from urllib.parse import parse_qs, urlsplit


class DatabaseProxy:
    def __init__(self, db_url: str) -> None:
        parts = urlsplit(db_url)
        host = parse_qs(parts.query)["host"][0]  # the embedded server's socket folder
        self.target = f"{host}/.s.PGSQL.{parts.port or 5432}"
        self.database = parts.path.lstrip("/")
        with socket.socket() as probe:  # a free port, kept across down() and up()
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def down(self) -> None:
        """Refuse new connections and cut every open one."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._pipes):
            transport = writer.transport
            transport.abort()
        self._pipes.clear()

    async def black_hole(self) -> None:
        """What a dropped network does: every open connection cut, and new ones accepted
        but never answered (no refusal the client could act on at once)."""
        await self.down()
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", self.port)

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._pipes.add(writer)
        with contextlib.suppress(Exception):
            await reader.read()  # until the client gives up or the proxy is taken down

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(self.target)
        except OSError:
            writer.transport.abort()
            return
        self._pipes.update((writer, up_writer))
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._pipes.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
