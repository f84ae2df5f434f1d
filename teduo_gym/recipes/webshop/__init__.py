"""TEDUO on WebShop (Pouplin et al., ICML 2025, whose WebShop variant uses filtered behaviour cloning).

- ``pages.py`` -- :func:`state_text` of a page, :class:`PurchaseTracker` (chosen options, what was bought).
- ``agents.py`` -- :class:`WebShopLLMAgent` (scores the page's clicks, writes queries; the fine-tuned agent and the
  prompted ReAct-style baseline), :class:`RandomClickAgent`, :func:`write_queries`, :func:`score_continuations`.
- ``episodes.py`` -- :class:`Episode`, :func:`play_episode`, :class:`EpisodeFile` (JSONL that resumes).
- ``collect.py`` -- :func:`collect_episodes` (LLM queries + random clicks), :func:`goal_instructions`.
- ``label.py`` -- :class:`PurchaseJudge` (category, attributes, options, price), :func:`label_episodes`,
  :func:`label_accuracy` against WebShop's reward.
- ``bc.py`` -- :func:`bc_examples`: filtered behaviour cloning into fine-tuning examples.
- ``evaluate.py`` -- :func:`evaluate_agent`, :func:`score_summary` (score and success rate), :func:`results_table`.
- ``run.py`` -- :class:`WebShopRunConfig`, :func:`run_webshop` (every stage cached), :class:`WebShopRunCommand`.

Example:
    >>> from teduo_gym.recipes.webshop import WebShopRunConfig
    >>> WebShopRunConfig().threshold
    0.6
"""

from teduo_gym.recipes.webshop.agents import (
    ACT_TEMPLATE,
    REACT_TEMPLATE,
    RandomClickAgent,
    WebShopLLMAgent,
    score_continuations,
    write_queries,
)
from teduo_gym.recipes.webshop.bc import bc_examples
from teduo_gym.recipes.webshop.collect import collect_episodes, goal_instructions
from teduo_gym.recipes.webshop.episodes import Episode, EpisodeFile, play_episode
from teduo_gym.recipes.webshop.evaluate import evaluate_agent, results_table, score_summary
from teduo_gym.recipes.webshop.label import (
    Label,
    PurchaseJudge,
    catalog_truth,
    hindsight_goals,
    label_accuracy,
    label_episodes,
)
from teduo_gym.recipes.webshop.pages import Purchase, PurchaseTracker, state_text
from teduo_gym.recipes.webshop.run import WebShopRunCommand, WebShopRunConfig, run_command, run_webshop

__all__ = [
    "ACT_TEMPLATE",
    "REACT_TEMPLATE",
    "Episode",
    "EpisodeFile",
    "Label",
    "Purchase",
    "PurchaseJudge",
    "PurchaseTracker",
    "RandomClickAgent",
    "WebShopLLMAgent",
    "WebShopRunCommand",
    "WebShopRunConfig",
    "bc_examples",
    "catalog_truth",
    "collect_episodes",
    "evaluate_agent",
    "goal_instructions",
    "hindsight_goals",
    "label_accuracy",
    "label_episodes",
    "play_episode",
    "results_table",
    "run_command",
    "run_webshop",
    "score_continuations",
    "score_summary",
    "state_text",
    "write_queries",
]
