"""The composition root: settings, database, CLI. Wires core, bot and notifications."""
