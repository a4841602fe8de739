"""Embedders by name: the registry and the resolution order.

Built in, each under its full name (which stores record) and a short alias:

* ``all-MiniLM-L6-v2-int8`` / ``minilm``: the offline default (:class:`MiniLMEmbedder`);
* ``openai:text-embedding-3-small`` / ``openai``: needs ``OPENAI_API_KEY`` and the
  ``openai`` extra (:class:`OpenAIEmbedder`); ``openai:<model>`` gives the same with
  another of its models (the name a store records for it);
* ``fake-hash-64`` / ``fake``: deterministic and model-free, for tests (:class:`FakeEmbedder`);
  ``fake-hash-<n>`` gives the same with ``n`` dimensions.

:func:`resolve_embedder` picks the embedder a store uses: an explicit argument
(a name or an instance), else ``AGENTLOG_EMBEDDER``, else the offline default.
The name ``none`` (argument or variable) means "no embedder": semantic search is
then unavailable. Names are case-insensitive.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable

from agentlog.embeddings.base import Embedder
from agentlog.embeddings.fake import FakeEmbedder
from agentlog.embeddings.minilm import MINILM_NAME, MiniLMEmbedder
from agentlog.embeddings.openai import OpenAIEmbedder
from agentlog.errors import ValidationError

__all__ = [
    "DEFAULT_EMBEDDER",
    "ENV_EMBEDDER",
    "available_embedders",
    "create_embedder",
    "register_embedder",
    "resolve_embedder",
]

ENV_EMBEDDER = "AGENTLOG_EMBEDDER"
DEFAULT_EMBEDDER = MINILM_NAME
_NONE = "none"
_FAKE_NAME = re.compile(r"fake-hash-([1-9][0-9]{0,4})")
_OPENAI_PREFIX = "openai:"

EmbedderFactory = Callable[[], Embedder]

_FACTORIES: dict[str, EmbedderFactory] = {}
_LOCK = threading.Lock()


def _key(name: str) -> str:
    return name.strip().casefold()


def register_embedder(
    name: str, factory: EmbedderFactory, *, aliases: tuple[str, ...] = (), replace: bool = False
) -> None:
    """Make an embedder available by name (to ``AGENTLOG_EMBEDDER`` and stores).

    Args:
        name: The embedder's full name; it should equal the ``name`` attribute of
            what ``factory`` returns, since stores record that.
        factory: Builds the embedder; called on each :func:`create_embedder`.
        aliases: Short names that mean the same.
        replace: Allow replacing an existing registration.

    Raises:
        ValidationError: The name or an alias is not a string, is empty or ``"none"``,
            or is taken and not ``replace``.

    Example:
        >>> from functools import partial
        >>> from agentlog.embeddings import FakeEmbedder
        >>> register_embedder("my-fake", partial(FakeEmbedder, 16), replace=True)
        >>> create_embedder("my-fake").dimension
        16
    """
    aliases_given: object = aliases  # a bare string would register each of its characters
    if isinstance(aliases_given, str) or not all(isinstance(n, str) for n in (name, *aliases)):
        raise ValidationError(
            "an embedder's name and aliases must be strings (aliases: a tuple of them)",
            field="name",
            value=repr((name, aliases))[:80],
        )
    keys = [_key(n) for n in (name, *aliases)]
    with _LOCK:
        for key, given in zip(keys, (name, *aliases), strict=True):
            if not key or key == _NONE:
                raise ValidationError(f"{given!r} cannot name an embedder", field="name", value=given)
            if key in _FACTORIES and not replace:
                raise ValidationError(
                    f"an embedder named {given!r} is already registered (pass replace=True to replace it)",
                    field="name",
                    value=given,
                )
        for key in keys:
            _FACTORIES[key] = factory


def available_embedders() -> list[str]:
    """The registered names and aliases, sorted.

    Returns:
        The names (lowercase).

    Example:
        >>> "minilm" in available_embedders()
        True
    """
    with _LOCK:
        return sorted(_FACTORIES)


def create_embedder(name_or_instance: str | Embedder) -> Embedder:
    """Build the embedder registered under a name, or pass an instance through.

    Args:
        name_or_instance: A registered name or alias, or an :class:`Embedder`.

    Returns:
        The embedder.

    Raises:
        ValidationError: Unknown name (the message lists the known ones), an
            ``openai:<model>`` with an unknown model, or an object that is not an embedder.
        EmbedderConfigError: The embedder cannot be used as configured (e.g. no
            ``OPENAI_API_KEY``).

    Example:
        >>> create_embedder("fake").name
        'fake-hash-64'
    """
    if not isinstance(name_or_instance, str):
        if isinstance(name_or_instance, Embedder):
            return name_or_instance
        raise ValidationError(
            "an embedder must be a registered name or an object with name, dimension, "
            f"calibration and embed(); got {type(name_or_instance).__name__}",
            field="embedder",
            value=repr(name_or_instance)[:80],
        )
    with _LOCK:
        factory = _FACTORIES.get(_key(name_or_instance))
    if factory is None and (match := _FAKE_NAME.fullmatch(_key(name_or_instance))):
        return FakeEmbedder(int(match.group(1)))  # any dimension a test store recorded
    if factory is None and _key(name_or_instance).startswith(_OPENAI_PREFIX):
        # any model OpenAIEmbedder knows (a store records "openai:<model>"); it rejects the others
        return OpenAIEmbedder(_key(name_or_instance).removeprefix(_OPENAI_PREFIX))
    if factory is None:
        raise ValidationError(
            f"unknown embedder {name_or_instance!r}; known: "
            f"{', '.join(available_embedders())} (or 'none' for no embedder)",
            field="embedder",
            value=name_or_instance,
        )
    return factory()


def resolve_embedder(explicit: str | Embedder | None = None) -> Embedder | None:
    """The embedder to use: ``explicit`` > ``AGENTLOG_EMBEDDER`` > the offline default.

    Args:
        explicit: A name, an alias or an instance; ``None`` to consult the
            environment. The name ``"none"`` means no embedder.

    Returns:
        The embedder, or ``None`` when ``"none"`` was asked for.

    Raises:
        ValidationError: An unknown name (from the argument or the variable).
        EmbedderConfigError: The named embedder is not usable (e.g. ``openai``
            without ``OPENAI_API_KEY``).

    Example:
        >>> resolve_embedder("fake").name
        'fake-hash-64'
        >>> resolve_embedder("none") is None
        True
    """
    if explicit is not None:
        if isinstance(explicit, str) and _key(explicit) == _NONE:
            return None
        return create_embedder(explicit)
    configured = os.environ.get(ENV_EMBEDDER, "").strip()
    if configured:
        if _key(configured) == _NONE:
            return None
        try:
            return create_embedder(configured)
        except ValidationError as exc:
            raise ValidationError(
                f"{ENV_EMBEDDER}={configured!r}: {exc}", field=ENV_EMBEDDER, value=configured
            ) from exc
    return create_embedder(DEFAULT_EMBEDDER)


register_embedder(MINILM_NAME, MiniLMEmbedder, aliases=("minilm",))
register_embedder("openai:text-embedding-3-small", OpenAIEmbedder, aliases=("openai",))
register_embedder("fake-hash-64", FakeEmbedder, aliases=("fake",))
