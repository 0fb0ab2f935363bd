"""aiogram FSM storage in PostgreSQL: a conversation (waiting for the homework text, say)
survives a restart and is shared by every instance behind a webhook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import ConversationState


class PostgresStorage(BaseStorage):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.keys = DefaultKeyBuilder(with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, {"state": value})

    def key_of(self, key: StorageKey) -> str:
        """The row's key (``CallerMiddleware`` reads the state along with the session)."""
        return self.keys.build(key)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self.sessions() as s:
            return await s.scalar(
                select(ConversationState.state).where(ConversationState.key == self.key_of(key))
            )

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, {"data": dict(data)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self.sessions() as s:
            data = await s.scalar(
                select(ConversationState.data).where(ConversationState.key == self.key_of(key))
            )
        return dict(data or {})

    async def _upsert(self, key: StorageKey, values: dict[str, Any]) -> None:
        async with self.sessions() as s, s.begin():
            await s.execute(
                insert(ConversationState)
                .values(key=self.key_of(key), **values)
                .on_conflict_do_update(index_elements=["key"], set_=values)
            )

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""


def side_slot(state: FSMContext, name: str) -> FSMContext:
    """A second slot of the same chat, kept apart from the conversation (which
    ``state.clear()`` wipes): what a screen remembers between presses, e.g. the admin's
    search or the pupils an import has just added."""
    return FSMContext(state.storage, replace(state.key, destiny=name))
