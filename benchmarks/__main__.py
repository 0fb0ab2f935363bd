"""``python -m benchmarks NAME [args]``: import ``benchmarks.NAME`` and call its
``main(argv) -> int``. A name is typed with hyphens (``district-deliver``: the module
``benchmarks/district_deliver.py``); underscores work too."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def _modules() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def available() -> list[str]:
    """The benchmarks as they are typed (``district-deliver``)."""
    return [name.replace("_", "-") for name in _modules()]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m benchmarks NAME [args]\nbenchmarks: " + ", ".join(available()))
        return 0 if argv else 2
    name, rest = argv[0].replace("-", "_"), argv[1:]
    if name not in _modules():
        print(f"no benchmark {argv[0]!r}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"benchmarks.{name}")
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
