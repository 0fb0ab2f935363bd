"""aiogram FSM storage in PostgreSQL: a conversation (waiting for the homework text, say)
survives a restart and is shared by every instance behind a webhook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import ConversationStore


class PostgresStorage(BaseStorage):
    """aiogram's storage over :class:`bot.conversation.ConversationStore`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.store = ConversationStore(sessions)
        self.keys = DefaultKeyBuilder(with_destiny=True)

    def key_of(self, key: StorageKey) -> str:
        """The row's key (``CallerMiddleware`` reads the state along with the session)."""
        return self.keys.build(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self.store.set_state(self.key_of(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.store.state(self.key_of(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.store.set_data(self.key_of(key), data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self.store.data(self.key_of(key))

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""


def side_slot(state: FSMContext, name: str) -> FSMContext:
    """A second slot of the same chat, kept apart from the conversation (which
    ``state.clear()`` wipes): what a screen remembers between presses, e.g. the admin's
    search or the pupils an import has just added."""
    return FSMContext(state.storage, replace(state.key, destiny=name))
