"""WebShop's purchase schema on the demo catalog: instructions read exactly, compiled rewards that agree with
WebShop's, and a scripted shopper that buys what a reading asks for on the real server."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from teduo_gym.collection.text_episodes import play_episode
from teduo_gym.envs import knowledge_for
from teduo_gym.envs.webshop import DEMO_DATA_DIR, Catalog, load_catalog
from teduo_gym.envs.webshop.pages import Purchase, catalog_truth
from teduo_gym.envs.webshop.purchase import NO_BOUND, PurchaseSchema, scripted_action
from teduo_gym.labeling import choose
from tests.envs.webshop.conftest import expert_actions


def test_exact_words_read_every_demo_instruction(catalog: Catalog) -> None:
    schema = PurchaseSchema(catalog)
    choices = choose(None, [g.instruction_text for g in catalog.goals], schema.slots)
    wrong = [(i, c, schema.oracle_choice(i)) for i, c in enumerate(choices) if c != schema.oracle_choice(i)]
    assert not wrong, wrong[:3]


def test_a_set_drops_an_option_named_inside_another(catalog: Catalog) -> None:
    schema = PurchaseSchema(catalog)
    [choice] = choose(None, ["i want navy blue running shoes in size x-large"], schema.slots)
    assert choice["options"].split("|") == ["navy blue", "x-large"] and choice["price"] == NO_BOUND


def test_compiled_rewards_agree_with_webshops(catalog: Catalog) -> None:
    """Under exact readings, the compiled reward of own, same-type and random purchases agrees with WebShop's own
    reward on "reward >= 0.6" for at least 90% of the pairs (the type reward's product-name words differ)."""
    schema, truth = PurchaseSchema(catalog), catalog_truth(catalog)
    rng = np.random.default_rng(0)
    agree = []
    for index, goal in enumerate(catalog.goals):
        for product in (catalog.product(goal.asin), catalog.products[int(rng.integers(len(catalog.products)))]):
            options = [v for vs in product.options.values() for v in vs if v in goal.goal_options]
            compiled = schema.reward(schema.oracle_choice(index), {"asin": product.asin.lower(), "options": options})
            true = truth(Purchase(product.asin.lower(), "", "", tuple(options)), index)
            agree.append((compiled["total"] >= 0.6) == (true >= 0.6))
            assert set(compiled) == {"total", "type", "attributes", "options", "price"}
    assert np.mean(agree) >= 0.9


def test_a_purchase_of_the_wrong_kind_earns_nothing(catalog: Catalog) -> None:
    schema = PurchaseSchema(catalog)
    choice = schema.oracle_choice(0)
    words = set(choice["type"].split())
    other = next(p for p in catalog.products if not set(p.title.lower().split()) & words)
    assert schema.reward(choice, {"asin": other.asin.lower(), "options": []})["total"] == 0.0


@pytest.mark.timeout(120)
def test_the_scripted_shopper_buys_what_a_reading_asks_for(catalog: Catalog) -> None:
    schema = PurchaseSchema(catalog)
    rewards = []
    with knowledge_for("teduo/WebShop-v0").text_episodes() as shop:
        assert shop.truth is not None and shop.outcome_schema is not None
        for goal in range(12):
            reading = schema.oracle_choice(goal)

            def act(page: dict[str, str], reading: dict[str, str] = reading) -> str:
                return scripted_action(page, reading) or "click[back to search]"

            episode = play_episode(shop, act, goal, 8)
            assert episode.actions[0].startswith("search[") and episode.actions[-1] == "click[buy now]"
            rewards.append(shop.truth(episode.outcome, goal))  # type: ignore[arg-type]
    assert np.mean(rewards) >= 0.8 and np.mean(np.array(rewards) == 1.0) >= 0.5


def test_the_expert_purchase_gets_full_compiled_reward(catalog: Catalog) -> None:
    goal = catalog.goals[3]
    chosen = [a[len("click[") : -1] for a in expert_actions(catalog, goal)[2:-1]]
    outcome = {"asin": goal.asin.lower(), "options": chosen}
    assert PurchaseSchema(catalog).reward(PurchaseSchema(catalog).oracle_choice(3), outcome)["total"] == 1.0


@pytest.mark.timeout(120)
def test_webshops_own_files_read_and_shopped(tmp_path: Path) -> None:
    """The first 20 products of WebShop-format files and their instructions (no split.json: WebShop's own split),
    served through ``env_options["data_dir"]``: readings, the scripted shopper and compiled rewards on them."""
    demo = load_catalog().products[:20]
    asins = {p.asin for p in demo}
    products = [p for p in json.loads((DEMO_DATA_DIR / "items_shuffle.json").read_text()) if p["asin"] in asins]
    (tmp_path / "items_shuffle_1000.json").write_text(json.dumps(products))
    for name in ("items_ins_v2.json", "items_human_ins.json"):
        records = json.loads((DEMO_DATA_DIR / name).read_text())
        (tmp_path / name.replace(".json", "_1000.json" if "v2" in name else ".json")).write_text(
            json.dumps({a: r for a, r in records.items() if a in asins})
        )
    with knowledge_for("teduo/WebShop-v0").text_episodes(data_dir=tmp_path) as shop:
        assert shop.truth is not None and shop.outcome_schema is not None
        schema = shop.outcome_schema
        catalog = schema.catalog  # type: ignore[attr-defined]
        assert {p.asin for p in catalog.products} == asins and catalog.split_ranges()["test"][1] == len(catalog.goals)
        choices = choose(None, [g.instruction_text for g in catalog.goals], schema.slots)
        assert np.mean([c == schema.oracle_choice(i) for i, c in enumerate(choices)]) >= 0.9
        for goal in range(3):
            episode = play_episode(
                shop, lambda page, g=goal: scripted_action(page, choices[g]) or "click[< prev]", goal, 8
            )
            assert episode.outcome is not None
            compiled = schema.reward(choices[goal], episode.outcome)["total"]
            assert (compiled >= 0.6) == (shop.truth(episode.outcome, goal) >= 0.6)


def test_a_reading_without_attributes_or_options_scores(catalog: Catalog) -> None:
    goal = catalog.goals[0]
    choice = {"type": goal.query, "attributes": "", "options": "", "price": NO_BOUND}
    parts = PurchaseSchema(catalog).reward(choice, {"asin": goal.asin.lower(), "options": []})
    assert parts == {"total": 1.0, "type": 1.0, "attributes": 1.0, "options": 1.0, "price": 1.0}
