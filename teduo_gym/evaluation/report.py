"""Human-readable reports of evaluation summaries.

- :func:`markdown_table` -- one row per agent: success, mean length, invalid actions, with 95% intervals.
- :func:`markdown_rows` -- any Markdown table, from a header and rows of cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["markdown_table", "markdown_rows"]


def markdown_table(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """A Markdown table of :func:`~teduo_gym.evaluation.summarize` results keyed by agent name, each number with its
    95% interval (where the summary has one).

    Example:
        >>> print(markdown_table({"random": {"episodes": 2, "success_rate": 0.5, "success_ci95": [0.1, 0.9],
        ...     "mean_length": 5.0, "length_ci95": [3.0, 7.0], "invalid_action_rate": 0.4}}))
        | agent | episodes | success % (95% CI) | mean length (95% CI) | invalid actions % (95% CI) |
        |---|---|---|---|---|
        | random | 2 | 50.0 (10.0-90.0) | 5.0 (3.0-7.0) | 40.0 |
    """
    rows = [
        [
            name,
            s["episodes"],
            _with_interval(100 * s["success_rate"], s.get("success_ci95"), 100),
            _with_interval(s["mean_length"], s.get("length_ci95")),
            _with_interval(100 * s["invalid_action_rate"], s.get("invalid_action_ci95"), 100),
        ]
        for name, s in summaries.items()
    ]
    header = ["agent", "episodes", "success % (95% CI)", "mean length (95% CI)", "invalid actions % (95% CI)"]
    return markdown_rows(header, rows)


def _with_interval(value: float, interval: Sequence[float] | None, scale: float = 1.0) -> str:
    if interval is None:
        return f"{value:.1f}"
    return f"{value:.1f} ({scale * interval[0]:.1f}-{scale * interval[1]:.1f})"


def markdown_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table: ``header`` and one line per row (cells shown with ``str``; ``|`` in a cell is escaped).

    Example:
        >>> print(markdown_rows(["agent", "success %"], [["random", 12.5], ["a|b", None]]))
        | agent | success % |
        |---|---|
        | random | 12.5 |
        | a\\|b | None |
    """

    def line(cells: Iterable[object]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *map(line, rows)])
