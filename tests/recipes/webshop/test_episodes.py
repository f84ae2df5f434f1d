"""Episodes in their JSONL log: a line torn by a crash is cut, and appends after it stay readable."""

from pathlib import Path

from teduo_gym.recipes.webshop import Episode, EpisodeFile, webshop


def test_a_torn_line_is_cut_before_the_next_append(tmp_path: Path) -> None:
    bought = webshop().Purchase("b1", "Mug", "$2", ("large",))
    first = Episode("0", 3, "buy a mug", ("WebShop | Search",), ("search[mug]",), bought, 1.0)
    log = EpisodeFile(tmp_path / "episodes.jsonl")
    log.append(first)
    with open(log.path, "a") as f:
        f.write('{"key": "1", "goal_')  # killed mid-append
    second = Episode("2", 4, "buy a cup", (), ())
    EpisodeFile(log.path).append(second)  # a new process appends without reading first
    assert list(EpisodeFile(log.path).read()) == [first, second]
    assert log.path.read_text().count("\n") == 2
    assert EpisodeFile(log.path).keys() == {"0", "2"}
