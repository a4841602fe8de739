"""Values given on the command line: ``argparse`` types and checks, so that a bad one is a usage error (exit 2)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from agentlog.analytics.window import MAX_DAYS, check_tz
from agentlog.cli.output import printable
from agentlog.errors import ValidationError
from agentlog.services.memory_args import validate_ttl
from agentlog.store import Store
from agentlog.validation import MAX_LIMIT, validate_aware_datetime, validate_uuid

T = TypeVar("T")

__all__ = [
    "UsageError",
    "check_out",
    "checked_by",
    "date_argument",
    "days_argument",
    "limit_argument",
    "parse_since",
    "positive_int",
    "since_argument",
    "threshold_argument",
    "ttl_argument",
    "tz_argument",
    "uuid_argument",
    "whole_number",
]


class UsageError(ValidationError):
    """A command-line value refused after parsing: a usage error (``agentlog`` exits with status 2, like ``argparse``).

    Option values the library checks are checked when the command line is read (the ``argparse`` types of
    this module), so that a bad one is a usage error; this is for the checks that need more than one value
    or the file system (``demo --out``, ``reindex --embedder``).
    """


def limit_argument(text: str) -> int:
    """An ``argparse`` type for ``--limit``: a whole number from 1 to the library's ``MAX_LIMIT``.

    Example:
        >>> limit_argument("20")
        20
        >>> limit_argument("100001")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a whole number of at least 1 and at most 100,000; got '100001'
    """
    return whole_number(text, maximum=MAX_LIMIT)


def uuid_argument(text: str) -> str:
    """An ``argparse`` type for an id option (``--project``): a UUID.

    Example:
        >>> uuid_argument("notauuid")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a UUID such as 00000000-0000-4000-8000-000000000000; got 'notauuid'
    """
    try:
        return str(validate_uuid(text, "id"))
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"must be a UUID such as 00000000-0000-4000-8000-000000000000; got {text!r}"
        ) from None


def checked_by(check: Callable[[str, str], T], field: str) -> Callable[[str], T]:
    """An ``argparse`` type that runs one of the library's checks on a value and returns what the check returns.

    The library's checks of names, namespaces and keys return the value unchanged.

    A value the library would refuse (an empty ``--agent``, a namespace that breaks the grammar) is then a
    usage error, found before the command opens a store, or creates one.

    Args:
        check: A check of the library, called as ``check(value, field)``; it raises ``ValidationError``.
        field: The name the check's message gives the value.

    Example:
        >>> from agentlog.validation import validate_name
        >>> checked_by(validate_name, "agent")("claude")
        'claude'
        >>> checked_by(validate_name, "agent")("")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: agent must not be empty
    """

    def parse(text: str) -> T:
        try:
            return check(text, field)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = field  # argparse names the type in some messages
    return parse


def ttl_argument(text: str) -> float:
    """An ``argparse`` type for ``--ttl``: a number of seconds the library takes as a time to live.

    Example:
        >>> ttl_argument("90")
        90.0
        >>> ttl_argument("-1")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: ttl must be more than 0 and at most 36500 days, got -1.0
    """
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds; got {text!r}") from None
    try:
        validate_ttl(seconds)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return seconds


def threshold_argument(text: str) -> float:
    """An ``argparse`` type: a similarity threshold from 0 to 1 (``0``: no threshold).

    Example:
        >>> threshold_argument("0.5")
        0.5
        >>> threshold_argument("1.5")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a number from 0 to 1 (0: no threshold); got '1.5'
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:  # NaN too
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1 (0: no threshold); got {text!r}")
    return value


def parse_since(text: str, option: str = "--since") -> datetime:
    """Parse ``--since``: an ISO date/datetime (UTC if no offset) or ``<N>d`` / ``<N>h`` ago, in UTC.

    Args:
        text: The value given on the command line.
        option: The option's name, for the error message.

    Raises:
        ValidationError: Neither, ``N`` reaches back before the year 1, or the time is outside the years
            1-9999 in UTC.

    Example:
        >>> parse_since("2026-01-02").isoformat()
        '2026-01-02T00:00:00+00:00'
        >>> parse_since("1000000d")
        Traceback (most recent call last):
        ...
        agentlog.errors.ValidationError: --since 1000000d reaches back before the year 1
    """
    value = text.strip()
    relative = value[:-1].isdigit() and value[-1:] in {"d", "h"}
    try:
        amount = int(value[:-1]) if relative else 0  # a ValueError for more digits than int() takes
        parsed = None if relative else datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{option} must be an ISO date such as 2026-01-31, or 7d / 12h; got {text!r}", field=option.lstrip("-")
        ) from None
    if parsed is None:
        return _ago(amount, value[-1], option)
    return validate_aware_datetime(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), option.lstrip("-"))


def _ago(amount: int, unit: str, option: str) -> datetime:
    """``amount`` days (``unit`` ``d``) or hours (``h``) before now."""
    try:
        return datetime.now(UTC) - (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    except OverflowError:
        raise ValidationError(
            f"{option} {amount}{unit} reaches back before the year 1", field=option.lstrip("-")
        ) from None


def since_argument(text: str) -> datetime:
    """:func:`parse_since` as an ``argparse`` type: a bad value is a usage error (exit status 2).

    Example:
        >>> import argparse
        >>> parser = argparse.ArgumentParser()
        >>> _ = parser.add_argument("--since", type=since_argument)
        >>> parser.parse_args(["--since", "2026-01-02"]).since.year
        2026
    """
    try:
        return parse_since(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def date_argument(option: str) -> Callable[[str], datetime]:
    """An ``argparse`` type like :func:`since_argument` whose messages name ``option``.

    Example:
        >>> date_argument("--until")("2d") < datetime.now(UTC)
        True
    """

    def parse(text: str) -> datetime:
        try:
            return parse_since(text, option)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = "date"  # argparse names the type in some messages
    return parse


def positive_int(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 1 (anything else is a usage error).

    Example:
        >>> positive_int("3")
        3
        >>> positive_int("0")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a whole number of at least 1; got '0'
    """
    return whole_number(text)


def whole_number(text: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer from ``minimum`` to ``maximum`` (``None``: no bound), for the ``argparse`` types of this module.

    Raises:
        argparse.ArgumentTypeError: ``text`` is not a whole number within the bounds (a usage error).

    Example:
        >>> whole_number("0", minimum=0)
        0
        >>> whole_number("x", maximum=9)
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a whole number of at least 1 and at most 9; got 'x'
    """
    try:
        value: int | None = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        most = "" if maximum is None else f" and at most {maximum:,}"
        raise argparse.ArgumentTypeError(f"must be a whole number of at least {minimum}{most}; got {text!r}")
    return value


def days_argument(text: str) -> int:
    """An ``argparse`` type for a window's ``--days``: a whole number from 1 to the analytics' ``MAX_DAYS``.

    Example:
        >>> days_argument("30")
        30
        >>> days_argument("36501")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be a whole number of at least 1 and at most 36,500; got '36501'
    """
    return whole_number(text, maximum=MAX_DAYS)


def tz_argument(text: str) -> str:
    """An ``argparse`` type for ``--tz``: a time-zone name the analytics know (checked in a scratch in-memory store).

    Example:
        >>> tz_argument("Europe/Paris")
        'Europe/Paris'
        >>> tz_argument("Nowhere/X")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: unknown time zone 'Nowhere/X'; use an IANA name such as 'UTC' or 'Europe/Paris'
    """
    return checked_by(_known_tz, "tz")(text)


def _known_tz(text: str, field: str) -> str:
    """``text`` if the analytics know it as a time zone (their check names the value ``tz`` itself)."""
    if text == "UTC":  # the default: no store needed
        return text
    with Store.memory(embedder=None) as scratch:
        return check_tz(scratch, text)


def check_out(value: str) -> Path:
    """The ``--out`` of ``demo`` or ``report`` as a path, refused at once if no report could be written there.

    Args:
        value: The ``--out`` value.

    Raises:
        UsageError: The path is empty, is a directory, or its folder does not exist.

    Example:
        >>> check_out("")
        Traceback (most recent call last):
        ...
        agentlog.cli.arguments.UsageError: --out is empty; give the path of an .html file
    """
    if not value.strip():
        raise UsageError("--out is empty; give the path of an .html file", field="out")
    target = Path(value).expanduser().resolve()
    if target.is_dir():
        raise UsageError(f"--out {printable(target)} is a directory; give the path of an .html file", field="out")
    if not target.parent.is_dir():
        what = "is not a directory" if target.parent.exists() else "does not exist"
        raise UsageError(f"--out: directory {printable(target.parent)} {what}; create it first", field="out")
    return Path(value).expanduser()
