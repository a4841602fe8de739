"""Progress bars for long imports (tqdm: a terminal bar, or a widget in Jupyter).

Example:
    >>> with progress_bar(10, enabled=False, desc="x") as bar:
    ...     bar.update(10)
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar", "wants_progress"]


def wants_progress(progress: bool | None) -> bool:
    """Resolve a ``progress`` argument: ``None`` means "when stderr is a terminal".

    Example:
        >>> wants_progress(False)
        False
    """
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        return bool(isatty and isatty())
    return bool(progress)


def progress_bar(total: int, *, enabled: bool | None, desc: str, unit: str = "B") -> Any:
    """A tqdm bar over ``total`` units (bytes by default), disabled unless wanted.

    Args:
        total: The amount of work.
        enabled: ``True``/``False``, or ``None`` for "when stderr is a terminal".
        desc: The label.
        unit: The unit of ``total`` (``"B"`` scales to kB, MB...).

    Example:
        >>> bar = progress_bar(3, enabled=False, desc="files", unit="file")
        >>> bar.update(1); bar.close()
    """
    from tqdm.auto import tqdm  # imported late: it is only needed when importing

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=unit == "B",
        unit_divisor=1024 if unit == "B" else 1000,
        disable=not wants_progress(enabled),
        leave=False,
    )
