"""Flows: what the bot does with a person's update, whatever the messenger. A flow takes a
:class:`bot.flows.turn.Turn` (who is acting, what they typed or pressed, and how to show
them a screen), calls core once and shows a screen from ``bot/screens/``; ``routes.py``
says which update goes to which flow. Each messenger's adapter (``bot/telegram/``,
``bot/max/``) turns its updates into turns and registers the routes in its own way.
Nothing here imports a messenger library."""
