"""The example scripts run as a user would run them."""

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parents[1] / "examples"


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_wrap_your_env():
    out = run("wrap_your_env.py")
    assert "goal: 'go to the" in out and "DQN + HER success on 20 new episodes" in out


def test_evaluate_with_sb3():
    out = run("evaluate_with_sb3.py", "--episodes", "2", "--n-envs", "2", "--max-steps", "5")
    assert "llm: success" in out and "random: success" in out


def test_every_run_config_in_examples_loads():
    from teduo_gym.envs.babyai import enumerate_goals, make_goal_split
    from teduo_gym.recipes.teduo import RunConfig

    configs = sorted(EXAMPLES.glob("babyai-*.json"))
    assert [c.name for c in configs] == ["babyai-paper.json", "babyai-quick.json", "babyai-synth-cpu.json"]
    for path in configs:
        config = RunConfig.from_file(path)
        goals = enumerate_goals(config.goal_kinds)
        split = make_goal_split(goals, config.train_goals, config.test_goals, config.seed, config.balance_kinds)
        assert (len(split.train), len(split.test)) == (config.train_goals, config.test_goals)
