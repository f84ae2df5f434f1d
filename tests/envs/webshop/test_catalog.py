from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from teduo_gym.envs.webshop import DEMO_DATA_DIR, CatalogError, generate_demo_catalog, load_catalog
from teduo_gym.envs.webshop.demo import DEMO_FILES


def _copy_demo(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(DEMO_DATA_DIR, out)
    return out


def _edit(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def test_the_shipped_demo_regenerates_byte_for_byte(tmp_path: Path) -> None:
    out = generate_demo_catalog(tmp_path)
    for name in DEMO_FILES:
        assert (out / name).read_bytes() == (DEMO_DATA_DIR / name).read_bytes(), name


def test_the_demo_has_a_few_hundred_products_and_goals_split_test_eval_train(catalog) -> None:
    assert len(catalog.products) == 300 and len({p.category for p in catalog.products}) == 4
    assert 300 <= len(catalog.goals) <= 500
    assert catalog.split_ranges() == {"test": (0, 50), "eval": (50, 150), "train": (150, len(catalog.goals))}
    assert all(g.attributes and g.price_upper > 0 and catalog.has_product(g.asin) for g in catalog.goals)
    assert load_catalog().goals == catalog.goals  # the same goal order and price bounds on every load
    assert len(load_catalog(human_goals=False).goals) > len(catalog.goals)  # synthetic: one per option combination


def test_a_record_without_a_required_field_is_named(tmp_path: Path) -> None:
    data = _copy_demo(tmp_path)
    asin = json.loads((data / "items_shuffle.json").read_text())[3]["asin"]
    _edit(data / "items_shuffle.json", lambda products: products[3].pop("name"))
    with pytest.raises(
        CatalogError, match=rf"items_shuffle.json: record 3 \(asin '{asin}'\) lacks the required field 'name'"
    ):
        load_catalog(data)


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("items_shuffle.json", lambda d: d[0].update(query=7), "field 'query' of type int, expected str"),
        ("items_shuffle.json", lambda d: d[0].update(pricing="free"), "'pricing' 'free' without a \\$ amount"),
        ("items_shuffle.json", lambda d: d.__setitem__(0, [1]), "record 0 is a JSON list, not an object"),
        ("items_human_ins.json", lambda d: next(iter(d.values()))[0].pop("instruction_options"), "instruction_options"),
        ("reviews.json", lambda d: d[0]["reviews"][0].pop("score"), "lacks the required field 'stars'"),
    ],
)
def test_malformed_records_get_clear_errors(tmp_path: Path, file: str, edit, message: str) -> None:
    data = _copy_demo(tmp_path)
    _edit(data / file, edit)
    with pytest.raises(CatalogError, match=message):
        load_catalog(data)


def test_missing_or_unreadable_files_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog(tmp_path / "nowhere")
    data = _copy_demo(tmp_path)
    (data / "items_ins_v2.json").unlink()
    with pytest.raises(CatalogError, match=r"no file matching items_ins_v2\*.json"):
        load_catalog(data)
    data = _copy_demo(tmp_path / "again")
    (data / "items_shuffle.json").write_text("{not json")
    with pytest.raises(CatalogError, match="cannot read catalog file .*items_shuffle.json"):
        load_catalog(data)


def test_webshop_file_names_formats_and_default_split(tmp_path: Path) -> None:
    """The original layout: suffixed names, price ranges, raw option values, 'stars'/'review' keys, no split.json."""
    product = {
        "asin": "B000000001",
        "name": "Trail Runner Shoe",
        "query": " Running Shoes ",
        "category": "fashion",
        "product_category": "Clothing › Shoes › Running",
        "full_description": "Light.",
        "small_description": "Grippy",
        "pricing": "$10.99 - $20.50",
        "images": ["x.jpg"],
        "customization_options": {"Color": [{"value": "Navy/Blue ", "image": None}], "Size": None},
    }
    (tmp_path / "items_shuffle_1000.json").write_text(json.dumps([product, product, {**product, "asin": "nan"}]))
    (tmp_path / "items_ins_v2_1000.json").write_text(json.dumps({}))
    human = [{"instruction": "i need running shoes.", "instruction_attributes": ["light"], "instruction_options": []}]
    (tmp_path / "items_human_ins.json").write_text(json.dumps({"B000000001": human}))
    reviews = [{"asin": "B000000001", "reviews": [{"title": "ok", "stars": 4, "review": "fine"}], "average_rating": 4}]
    (tmp_path / "reviews.json").write_text(json.dumps(reviews))
    catalog = load_catalog(tmp_path)
    (shoe,) = catalog.products
    assert shoe.pricing == (10.99, 20.5) and shoe.price_tag == "$10.99 to $20.5"
    assert 10.99 <= catalog.prices[shoe.asin] <= 20.5
    assert shoe.options == {"color": ("navy | blue",)} and shoe.attributes == ("DUMMY_ATTR",)
    assert shoe.query == "running shoes" and shoe.bullet_points == ("Grippy",) and shoe.rating == 4
    assert shoe.reviews[0].score == 4 and shoe.reviews[0].body == "fine"
    (goal,) = catalog.goals
    assert goal.instruction_text.startswith("i need running shoes, and price lower than ")
    assert catalog.split_ranges() == {"test": (0, 1), "eval": (1, 1), "train": (1, 1)}
