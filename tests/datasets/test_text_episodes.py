"""Text episodes in their JSONL log: a line torn by a crash is cut, and appends after it stay readable."""

from pathlib import Path

from teduo_gym.datasets.text_episodes import TextEpisode, TextEpisodeFile


def test_a_torn_line_is_cut_before_the_next_append(tmp_path: Path) -> None:
    bought = {"asin": "b1", "title": "Mug", "price": "$2", "options": ["large"]}
    first = TextEpisode("0", 3, "buy a mug", ("WebShop | Search",), ("search[mug]",), bought, 1.0)
    log = TextEpisodeFile(tmp_path / "episodes.jsonl")
    log.append(first)
    with open(log.path, "a") as f:
        f.write('{"key": "1", "goal_')  # killed mid-append
    second = TextEpisode("2", 4, "buy a cup", (), ())
    TextEpisodeFile(log.path).append(second)  # a new process appends without reading first
    assert list(TextEpisodeFile(log.path).read()) == [first, second]
    assert log.path.read_text().count("\n") == 2
    assert TextEpisodeFile(log.path).keys() == {"0", "2"}
