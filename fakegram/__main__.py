"""Run a standalone fake Telegram with a console: ``python -m fakegram --help``.

Point a bot at the printed base URL (``TelegramAPIServer.from_base(url)``) and chat with it.
"""

from __future__ import annotations

import argparse
import asyncio

from fakegram.console import run_console
from fakegram.server import FakeTelegram
from fakegram.users import FakeUser


def _parse_user(spec: str) -> tuple[int, str, str | None]:
    user_id, _, rest = spec.partition(":")
    first, _, last = rest.partition(":")
    return int(user_id), first or f"User{user_id}", last or None


async def _main(args: argparse.Namespace) -> None:
    fake = FakeTelegram()
    await fake.start(args.host, args.port)
    fake.add_bot(args.token, args.username)
    users: dict[str, FakeUser] = {}
    for spec in args.user or ["1001:Мария:Иванова"]:
        user_id, first, last = _parse_user(spec)
        users[str(user_id)] = fake.user(user_id, first, last)
    print(f"fake Telegram at {fake.base_url} (bot token {args.token})")
    try:
        await run_console(fake, users)
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fakegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--username", default="school_journal_bot")
    parser.add_argument(
        "--user", action="append", help="ID:FIRST[:LAST], repeatable (default 1001:Мария:Иванова)"
    )
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
