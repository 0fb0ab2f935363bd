"""maxapi's ``Bot`` as the journal uses it: at a configurable URL (``MAX_API_BASE``; tests
and the sandbox point it at ``fakemax``), without maxapi's filling of an update's chat
and user by extra requests (an update carries what the flows need: a request saved on
every update, against MAX's 30 requests a second per bot) and without its subscription
check at start.

Two of them, by who decides what a failed request means:

* :func:`sender_bot`, the outbox's: no retries, the sender decides (its backoff, the
  row's attempts, the kill test's at-least-once).
* :func:`updates_bot`, the one answering people: a 429 (MAX's 30 requests a second are
  shared by everyone tapping at once and the sender) or a 5xx is tried again by maxapi
  itself, 3 times with an exponential, jittered wait of about 0.5, 1 and 2 s; MAX refuses
  a request it answers 429 to, so trying again sends nothing twice."""

from __future__ import annotations

import logging

from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties
from maxapi.exceptions.max import MaxApiError, MaxConnection

ANSWER_RETRIES = 3
ANSWER_RETRY_STATUSES = (429, 500, 502, 503, 504)
ANSWER_BACKOFF = 0.5  # seconds: maxapi's backoff factor (0.5, 1, 2 before the jitter)


def _bot(token: str, api_base: str, connection: DefaultConnectionProperties) -> Bot:
    bot = Bot(
        token,
        default_connection=connection,
        auto_requests=False,
        auto_check_subscriptions=False,
    )
    bot.set_api_url(api_base)
    return bot


def sender_bot(token: str, api_base: str) -> Bot:
    """The outbox's bot: every failure goes to the sender at once."""
    return _bot(token, api_base, DefaultConnectionProperties(max_retries=0))


class _NotItsRetries(logging.Filter):
    """maxapi logs each retry on its logger ``bot`` (the name of this package: a filter
    on that logger sees only maxapi's own records, not those of ``bot.*``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.funcName != "_on_backoff"


def quiet_retries() -> None:
    """maxapi's retries are told once, by the dispatcher, when they run out: not in four
    lines per request (maxapi's own warnings and ``backoff``'s «Giving up» error)."""
    logging.getLogger("backoff").setLevel(logging.CRITICAL)
    library = logging.getLogger("bot")
    if not any(isinstance(f, _NotItsRetries) for f in library.filters):
        library.addFilter(_NotItsRetries())


def updates_bot(token: str, api_base: str) -> Bot:
    """The bot that takes updates and answers them: 429 and 5xx tried again."""
    quiet_retries()
    connection = DefaultConnectionProperties(
        max_retries=ANSWER_RETRIES,
        retry_on_statuses=ANSWER_RETRY_STATUSES,
        retry_backoff_factor=ANSWER_BACKOFF,
    )
    return _bot(token, api_base, connection)


def max_unavailable(err: BaseException) -> bool:
    """MAX could not be reached or did not take the request (429, 5xx), even after the
    retries: MAX's condition, not the journal's fault (a warning, not a traceback)."""
    if isinstance(err, MaxConnection | TimeoutError):
        return True
    return isinstance(err, MaxApiError) and (err.code == 429 or err.code >= 500)
