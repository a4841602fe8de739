"""Measure an embedder on the labelled pairs and print a fitted calibration.

Usage::

    python -m agentlog.embeddings.calibrate [--embedder minilm] [--holdout 0.3]

Prints the raw cosine distribution of each label, the knots fitted on the fit
part (paste them into the embedder's module to pin them), how often the fitted
calibration puts fit and held-out pairs in their label's band, and the same
check for the calibration the embedder currently carries. See
:mod:`agentlog.embeddings.fitting` for the data and the method.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from agentlog.embeddings.fitting import (
    LABELS,
    evaluate_calibration,
    fit_calibration,
    load_calibration_pairs,
    pair_cosines,
    split_pairs,
)
from agentlog.embeddings.registry import create_embedder

__all__ = ["main"]


def _format(report: dict[str, float]) -> str:
    return ", ".join(f"{key} {value:.1%}" for key, value in report.items())


def main(argv: Sequence[str] | None = None) -> None:
    """Run the measurement and print the report (see the module docs).

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).

    Example:
        >>> main(["--embedder", "fake"])  # doctest: +ELLIPSIS
        embedder fake-hash-64: ...
    """
    parser = argparse.ArgumentParser(
        prog="python -m agentlog.embeddings.calibrate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--embedder", default="minilm", help="registered name (default: minilm)")
    parser.add_argument("--pairs", default=None, help="JSON-lines pairs (default: shipped set)")
    parser.add_argument("--holdout", type=float, default=0.3, help="fraction of topics held out")
    args = parser.parse_args(argv)

    embedder = create_embedder(args.embedder)
    pairs = load_calibration_pairs(args.pairs)
    fit, held = split_pairs(pairs, args.holdout)
    calibration = fit_calibration(embedder, fit)
    cosines = pair_cosines(embedder, pairs)
    labels = np.array([p.label for p in pairs])
    position = {id(p): i for i, p in enumerate(pairs)}

    print(f"embedder {embedder.name}: {len(pairs)} pairs, {len(fit)} fit, {len(held)} held out")
    print("raw cosine by label     n    min    p05    p50    p95    max")
    for label in LABELS:
        values = cosines[labels == label]
        quantiles = np.quantile(values, [0, 0.05, 0.5, 0.95, 1])
        print(f"  {label:<16} {len(values):>5} " + " ".join(f"{q:6.3f}" for q in quantiles))
    print(f"fitted knots: {calibration.knots}")
    for title, part in (("fit", fit), ("held out", held)):
        rows = [position[id(p)] for p in part]
        print(f"{title}: " + _format(evaluate_calibration(calibration, cosines[rows], [p.label for p in part])))
    print(
        "pinned calibration, all pairs: " + _format(evaluate_calibration(embedder.calibration, cosines, list(labels)))
    )


if __name__ == "__main__":
    main()
