"""A chat's conversation (waiting for the homework text, say) kept in PostgreSQL, by the
adapter's key of the chat: it survives a restart and is shared by every instance. The
Telegram adapter's aiogram storage and the MAX adapter both keep it here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import ConversationState


class ConversationStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def state(self, key: str) -> str | None:
        async with self.sessions() as s:
            return await s.scalar(
                select(ConversationState.state).where(ConversationState.key == key)
            )

    async def data(self, key: str) -> dict[str, Any]:
        async with self.sessions() as s:
            data = await s.scalar(
                select(ConversationState.data).where(ConversationState.key == key)
            )
        return dict(data or {})

    async def set_state(self, key: str, state: str | None) -> None:
        await self._upsert(key, {"state": state})

    async def set_data(self, key: str, data: Mapping[str, Any]) -> None:
        await self._upsert(key, {"data": dict(data)})

    async def _upsert(self, key: str, values: dict[str, Any]) -> None:
        async with self.sessions() as s, s.begin():
            await s.execute(
                insert(ConversationState)
                .values(key=key, **values)
                .on_conflict_do_update(index_elements=["key"], set_=values)
            )


class KeyedConversation:
    """One chat's conversation in the store (``bot.flows.turn.Conversation``)."""

    def __init__(self, store: ConversationStore, key: str) -> None:
        self.store, self.key = store, key

    async def get_state(self) -> str | None:
        return await self.store.state(self.key)

    async def set_state(self, state: str | None = None) -> None:
        await self.store.set_state(self.key, state)

    async def get_data(self) -> dict[str, Any]:
        return await self.store.data(self.key)

    async def update_data(self, **values: Any) -> dict[str, Any]:
        data = {**await self.store.data(self.key), **values}
        await self.store.set_data(self.key, data)
        return data

    async def clear(self) -> None:
        await self.store.set_state(self.key, None)
        await self.store.set_data(self.key, {})
