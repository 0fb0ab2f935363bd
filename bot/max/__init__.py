"""The MAX adapter (issue 12): so far its limits; the transport, the updates and the
channel follow. The only part of ``bot/`` that knows MAX."""
