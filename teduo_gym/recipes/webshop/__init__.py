"""TEDUO on WebShop (Pouplin et al., ICML 2025, whose WebShop variant uses filtered behaviour cloning).

- ``shop.py`` -- :func:`webshop`: WebShop's environment knowledge, through which the recipe serves the shop, makes
  its environment and reads its pages and purchases (:data:`ENV_ID`).
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
from teduo_gym.recipes.webshop.label import Label, PurchaseJudge, hindsight_goals, label_accuracy, label_episodes
from teduo_gym.recipes.webshop.run import WebShopRunCommand, WebShopRunConfig, run_command, run_webshop
from teduo_gym.recipes.webshop.shop import ENV_ID, webshop

__all__ = [
    "ACT_TEMPLATE",
    "ENV_ID",
    "REACT_TEMPLATE",
    "Episode",
    "EpisodeFile",
    "Label",
    "PurchaseJudge",
    "RandomClickAgent",
    "WebShopLLMAgent",
    "WebShopRunCommand",
    "WebShopRunConfig",
    "bc_examples",
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
    "webshop",
    "write_queries",
]
