"""The figures of ``teduo compare``: success by setting and by goal kind, episode lengths, SB3 learning curves.

- :func:`plot_all` -- draw every figure that has data into a folder (matplotlib's object-oriented API and the Agg
  canvas: no global state, no display).
- :func:`kinds_of` -- the goal kinds of a setting's summaries, in the environment's order.
- :func:`new_figure`, :func:`agent_colors` -- an Agg figure of a size, one colour per agent (also used by
  :mod:`teduo_gym.recipes.oir.report`).
- :data:`FIGURE_SIZES`, :data:`DPI` -- each figure's file name and size (inches), and its resolution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from teduo_gym.evaluation.protocol import SETTINGS

__all__ = ["DPI", "FIGURE_SIZES", "agent_colors", "kinds_of", "new_figure", "plot_all"]

#: Resolution of the figures (dots per inch).
DPI = 100
#: Each figure's file name -> its size in inches (pixels: times :data:`DPI`).
FIGURE_SIZES: dict[str, tuple[float, float]] = {
    "success_by_setting.png": (10, 5),
    "success_by_goal_kind.png": (12, 8),
    "episode_lengths.png": (10, 5),
    "sb3_learning_curves.png": (8, 5),
}


def kinds_of(summaries: Mapping[str, Mapping[str, Any]], order: Sequence[str] = ()) -> list[str]:
    """The goal kinds of ``summaries`` (agent -> summary with ``by_kind``): those of ``order`` (the environment's
    ``goal_kinds``) in that order, then any other, sorted.

    Example:
        >>> kinds_of({"bot": {"by_kind": {"open": {}, "go to": {}, "fly": {}}}}, ("go to", "pick up", "open"))
        ['go to', 'open', 'fly']
    """
    found = {k for s in summaries.values() for k in s.get("by_kind", {})}
    return [*(k for k in order if k in found), *sorted(found - set(order))]


def new_figure(size: tuple[float, float]) -> Figure:
    """A figure of ``size`` inches drawn by the Agg backend (no display needed).

    Example:
        >>> new_figure((4, 3)).get_size_inches().tolist()
        [4.0, 3.0]
    """
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def agent_colors(names: Sequence[str]) -> dict[str, Any]:
    """One colour per name, in order (tab10, or tab20 past ten names).

    Example:
        >>> len(agent_colors(["a", "b"]))
        2
    """
    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def _bars(
    ax: Any, groups: Sequence[str], series: Mapping[str, Sequence[Mapping[str, Any] | None]], colors: Mapping[str, Any]
) -> None:
    """Grouped bars of success %, one group per entry of ``groups``, one bar per series (a summary, or ``None``: a
    gap), with the 95% CI as error bars."""
    width = 0.8 / max(len(series), 1)
    for i, (name, summaries) in enumerate(series.items()):
        present = [(j, s) for j, s in enumerate(summaries) if s is not None]
        if not present:
            continue
        x = np.array([j for j, _ in present]) + (i - (len(series) - 1) / 2) * width
        rates = np.array([s["success_rate"] for _, s in present])
        ci = np.array([s["success_ci95"] for _, s in present])
        errors = 100 * np.clip(np.stack([rates - ci[:, 0], ci[:, 1] - rates]), 0, None)
        ax.bar(x, 100 * rates, width, yerr=errors, capsize=2, color=colors[name], label=name)
    ax.set_xticks(range(len(groups)), [g.replace(" / ", "\n") for g in groups])
    ax.set_ylim(0, 105)
    ax.set_ylabel("success %")


def _legend(fig: Figure, colors: Mapping[str, Any]) -> None:
    handles = [Patch(color=c, label=name) for name, c in colors.items()]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize="small")


def _plot_settings(fig: Figure, summaries: Mapping[str, Mapping[str, Any]], colors: Mapping[str, Any]) -> None:
    settings = list(summaries)
    ax = fig.subplots()
    _bars(ax, settings, {name: [summaries[s].get(name) for s in settings] for name in colors}, colors)
    ax.set_title("Success by setting")
    _legend(fig, colors)


def _plot_kinds(
    fig: Figure, summaries: Mapping[str, Mapping[str, Any]], colors: Mapping[str, Any], order: Sequence[str]
) -> None:
    axes = fig.subplots(2, 2, sharey=True).ravel()
    for ax, setting in zip(axes, SETTINGS):
        rows = summaries.get(setting, {})
        kinds = kinds_of(rows, order)
        _bars(
            ax,
            kinds,
            {name: [rows[name].get("by_kind", {}).get(k) if name in rows else None for k in kinds] for name in colors},
            colors,
        )
        ax.set_title(setting if kinds else f"{setting}: not evaluated")
    fig.suptitle("Success by goal kind")
    _legend(fig, colors)


def _plot_lengths(fig: Figure, episodes: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    ax = fig.subplots()
    styles = {  # label -> box colour, offset from the agent's tick, which episodes
        "all episodes": ("lightgrey", -0.2, lambda r: True),
        "successful": ("tab:green", 0.2, lambda r: bool(r["success"])),
    }
    for colour, shift, keep in styles.values():
        data = [(i, [r["length"] for r in records if keep(r)]) for i, records in enumerate(episodes.values())]
        data = [(i, lengths) for i, lengths in data if lengths]
        if data:
            ax.boxplot(
                [d for _, d in data],
                positions=[i + shift for i, _ in data],
                widths=0.35,
                patch_artist=True,
                boxprops={"facecolor": colour},
            )
    ax.set_xticks(range(len(episodes)), list(episodes), rotation=15)
    ax.set_ylabel("episode length (steps)")
    ax.set_title("Episode lengths per agent (all settings)")
    ax.legend(handles=[Patch(color=c, label=label) for label, (c, _, _) in styles.items()], fontsize="small")


def _plot_curves(fig: Figure, curves: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    ax = fig.subplots()
    for label, curve in curves.items():
        ax.plot([p["steps"] for p in curve], [100 * p["success_rate"] for p in curve], marker=".", label=label)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("training success % (moving window)")
    ax.set_ylim(0, 105)
    ax.set_title("SB3 learning curves")
    ax.legend(fontsize="small")


def plot_all(
    out: Path,
    names: Sequence[str],
    summaries: Mapping[str, Mapping[str, Any]],
    episodes: Mapping[str, Sequence[Mapping[str, Any]]],
    curves: Mapping[str, Sequence[Mapping[str, Any]]],
    kinds: Sequence[str] = (),
) -> list[str]:
    """Draw every figure that has data into ``out`` (removing stale ones); returns their file names.

    Example:
        >>> import tempfile
        >>> s = {"episodes": 2, "success_rate": 0.5, "success_ci95": [0.1, 0.9], "mean_length": 5.0,
        ...      "invalid_action_rate": 0.0, "by_kind": {}}
        >>> plot_all(Path(tempfile.mkdtemp()), ["bot"], {"train layouts / train goals": {"bot": s}}, {}, {})
        ['success_by_setting.png', 'success_by_goal_kind.png']

    Args:
        out: the folder the PNG files go to.
        names: the agents, in legend order (their colours).
        summaries: setting -> agent -> summary (with ``by_kind``), as ``teduo evaluate`` writes them.
        episodes: agent -> its episode records (``length``, ``success``); none: no length figure.
        curves: label -> learning-curve points (``steps``, ``success_rate``); none: no learning-curve figure.
        kinds: the goal kinds in the order their bars are drawn (the environment's ``goal_kinds``); others follow.
    """
    colors = agent_colors(names)
    draw = {
        "success_by_setting.png": lambda fig: _plot_settings(fig, summaries, colors),
        "success_by_goal_kind.png": lambda fig: _plot_kinds(fig, summaries, colors, kinds),
    }
    if episodes:
        draw["episode_lengths.png"] = lambda fig: _plot_lengths(fig, episodes)
    if curves:
        draw["sb3_learning_curves.png"] = lambda fig: _plot_curves(fig, curves)
    for name in FIGURE_SIZES:
        (out / name).unlink(missing_ok=True)
    for name, plot in draw.items():
        fig = new_figure(FIGURE_SIZES[name])
        plot(fig)
        fig.savefig(out / name, dpi=DPI)
    return list(draw)
