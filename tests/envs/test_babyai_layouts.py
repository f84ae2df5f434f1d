"""Layout splits never share a layout between train and test."""

import gymnasium as gym

from teduo_gym.envs.babyai import layout_fingerprint, layout_seeds


def _fingerprints(env_id, seeds):
    env = gym.make(env_id)
    out = []
    for s in seeds:
        env.reset(seed=s)
        out.append(layout_fingerprint(env))
    return out


def test_layout_split_is_disjoint_and_deterministic(capsys) -> None:
    split = layout_seeds("BabyAI-PutNextLocal-v0", 12, 4, seed=0)
    assert capsys.readouterr().out == ""  # "Sampling rejected" prints are silenced
    assert len(split.train) == 12 and len(split.test) == 4
    train, test = (
        _fingerprints("BabyAI-PutNextLocal-v0", split.train),
        _fingerprints("BabyAI-PutNextLocal-v0", split.test),
    )
    assert len(set(train + test)) == 16
    assert layout_seeds("BabyAI-PutNextLocal-v0", 12, 4, seed=0) == split
    assert layout_seeds("BabyAI-PutNextLocal-v0", 12, 4, seed=1) != split


def test_duplicate_layouts_are_skipped() -> None:
    # GoToRedBallNoDists has few distinct layouts: the split must still hold only distinct ones.
    split = layout_seeds("BabyAI-GoToRedBallNoDists-v0", 30, 10, seed=0)
    prints = _fingerprints("BabyAI-GoToRedBallNoDists-v0", split.train + split.test)
    assert len(set(prints)) == 40
