"""The ``journal`` command's argument parser in the language of its output (Russian by
default): our help texts come from ``texts``, and argparse's own words («использование»,
«параметры», its error messages) through argparse's gettext hook, ``argparse._`` and
``argparse.ngettext``, swapped in only while the parser builds, parses or formats."""

from __future__ import annotations

import argparse
import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from texts import DEFAULT_LANGUAGE, Texts

# argparse's messages (Python 3.11+) → our text keys; anything else stays as argparse says it.
ARGPARSE_KEYS = {
    "usage: ": "argparse.usage",
    "positional arguments": "argparse.positionals",
    "options": "argparse.options",
    "show this help message and exit": "argparse.help",
    "%(prog)s: error: %(message)s\n": "argparse.error",
    "argument %(argument_name)s: %(message)s": "argparse.argument",
    "invalid choice: %(value)r (choose from %(choices)s)": "argparse.invalid_choice",
    "the following arguments are required: %s": "argparse.required",
    "unrecognized arguments: %s": "argparse.unrecognized",
    "expected one argument": "argparse.expected_one",
    "expected at least one argument": "argparse.expected_at_least_one",
    "expected at most one argument": "argparse.expected_at_most_one",
    "invalid %(type)s value: %(value)r": "argparse.invalid_type",
    "not allowed with argument %s": "argparse.not_allowed_with",
    "one of the arguments %s is required": "argparse.one_required",
    "ambiguous option: %(option)s could match %(matches)s": "argparse.ambiguous",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "argparse.unknown_command",
    "ignored explicit argument %r": "argparse.ignored_argument",
}
ARGPARSE_PLURAL_KEYS = {"expected %s argument": "argparse.expected_n"}


@contextlib.contextmanager
def argparse_words(lang: str) -> Iterator[None]:
    """argparse speaks ``lang`` inside the block (its module-level gettext names)."""
    tx = Texts(lang)

    def gettext(message: str) -> str:
        key = ARGPARSE_KEYS.get(message)
        return tx(key) if key else message

    def ngettext(singular: str, plural: str, n: int) -> str:
        key = ARGPARSE_PLURAL_KEYS.get(singular)
        return tx(key) if key else (singular if n == 1 else plural)

    hooks = vars(argparse)  # argparse looks these up on every message; not in its stubs
    saved = hooks["_"], hooks["ngettext"]
    hooks["_"], hooks["ngettext"] = gettext, ngettext
    try:
        yield
    finally:
        hooks["_"], hooks["ngettext"] = saved


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that says everything in ``lang``; its subcommands' parsers too."""

    def __init__(self, *args: Any, lang: str = DEFAULT_LANGUAGE, **kwargs: Any) -> None:
        self.lang = lang
        self.tx = Texts(lang)
        with argparse_words(lang):  # the default groups' titles and -h's help are made here
            super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> argparse._SubParsersAction:
        kwargs.setdefault("parser_class", functools.partial(type(self), lang=self.lang))
        with argparse_words(self.lang):
            return super().add_subparsers(**kwargs)

    def parse_args(  # type: ignore[override]  # argparse's overloads
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        with argparse_words(self.lang):  # «unrecognized arguments» is said here
            return super().parse_args(args, namespace)

    def parse_known_args(  # type: ignore[override]  # argparse's overloads
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        with argparse_words(self.lang):
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        with argparse_words(self.lang):
            return super().format_usage()

    def format_help(self) -> str:
        with argparse_words(self.lang):
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        with argparse_words(self.lang):
            super().error(message)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # An unknown command is named as one, with the commands there are.
        if (
            isinstance(action, argparse._SubParsersAction)
            and action.choices is not None
            and value not in action.choices
        ):
            raise argparse.ArgumentError(
                None,
                self.tx(
                    "argparse.unknown_command_named", value=value, choices=", ".join(action.choices)
                ),
            )
        super()._check_value(action, value)


def whole_number(tx: Texts) -> Callable[[str], int]:
    """``type=`` for a number argument: a value that is no number is said in ``tx``'s
    language (argparse would name the Python type, «int»)."""

    def number(value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(tx("argparse.not_a_number", value=value)) from None

    return number


@dataclass
class Commands:
    """Where a group adds its commands: the subcommands of ``journal``, their help texts
    in ``h``'s language."""

    sub: argparse._SubParsersAction
    h: Texts
    number: Callable[[str], int] = field(init=False)

    def __post_init__(self) -> None:
        self.number = whole_number(self.h)

    def add(self, name: str, key: str, **kwargs: Any) -> argparse.ArgumentParser:
        """The command ``name``, its help and description the text ``key``."""
        parser: argparse.ArgumentParser = self.sub.add_parser(
            name, help=self.h(key), description=self.h(key), **kwargs
        )
        return parser

    def school_option(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--school", metavar=self.h("cli.metavar.school"), help=self.h("cli.help.school")
        )
