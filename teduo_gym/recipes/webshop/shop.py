"""The WebShop recipe's way to WebShop: the environment's registered knowledge, which serves the shop, makes its
environment and reads its pages and purchases.

- :data:`ENV_ID` -- the environment id the recipe runs on (``"teduo/WebShop-v0"``).
- :func:`webshop` -- its knowledge (:func:`teduo_gym.envs.knowledge_for`).
"""

from __future__ import annotations

from typing import Any

from teduo_gym.envs import knowledge_for

__all__ = ["ENV_ID", "webshop"]

#: The environment id of WebShop; registering other knowledge for it (e.g. ``WebShopKnowledge(base_url=...)``)
#: changes what the recipe runs on.
ENV_ID = "teduo/WebShop-v0"


def webshop() -> Any:
    """WebShop's knowledge, typed ``Any``: the recipe uses its members beyond :class:`~teduo_gym.envs.EnvKnowledge`
    (``server``, ``shop_env``, ``page_text``, ``clickables``, ``has_search_bar``, ``Purchase``).

    Example:
        >>> webshop().clickables({"available_actions": '{"has_search_bar": false, "clickables": ["b01"]}'})
        ['b01']
    """
    return knowledge_for(ENV_ID)
