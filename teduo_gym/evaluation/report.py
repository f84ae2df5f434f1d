"""Human-readable reports of evaluation summaries.

- :func:`markdown_table` -- one row per agent: success (95% interval), mean length, invalid actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["markdown_table"]


def markdown_table(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """A Markdown table of :func:`~teduo_gym.evaluation.summarize` results keyed by agent name.

    Example:
        >>> print(markdown_table({"random": {"episodes": 2, "success_rate": 0.5, "success_ci95": [0.1, 0.9],
        ...     "mean_length": 5.0, "invalid_action_rate": 0.4}}))
        | agent | episodes | success % (95% CI) | mean length | invalid actions % |
        |---|---|---|---|---|
        | random | 2 | 50.0 (10.0-90.0) | 5.0 | 40.0 |
    """
    lines = [
        "| agent | episodes | success % (95% CI) | mean length | invalid actions % |",
        "|---|---|---|---|---|",
    ]
    for name, s in summaries.items():
        low, high = s["success_ci95"]
        lines.append(
            f"| {name} | {s['episodes']} | {100 * s['success_rate']:.1f} ({100 * low:.1f}-{100 * high:.1f}) "
            f"| {s['mean_length']:.1f} | {100 * s['invalid_action_rate']:.1f} |"
        )
    return "\n".join(lines)
