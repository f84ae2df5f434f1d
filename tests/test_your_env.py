"""TEDUO on environments that are not built in: knowledge defined in this file, run end to end through the real
``teduo run`` (``"env": "tests.test_your_env:knowledge"``), and the example ``examples/teduo_your_env.py`` checked
against Gymnasium's env checker and its own ground truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

from teduo_gym.envs import EnvKnowledge, Slot
from teduo_gym.wrappers import GoalDetector, LanguageGoalWrapper

ROOT = Path(__file__).parents[1]
CELLS, COLOURS = 5, ("red", "blue", "green", "yellow")
LEFT, RIGHT = 0, 1


class FlagLine(gym.Env):
    """Five cells in a row, three of them with a coloured flag; the agent walks ``left`` / ``right``.

    State (and observation): the flag colour of each cell (0 none, colour ``i`` is ``i + 1``), then the agent's cell.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self) -> None:
        self.observation_space = spaces.Box(0, 255, (CELLS + 1,), np.uint8)
        self.action_space = spaces.Discrete(2)
        self.flags, self.agent, self.mission = np.zeros(CELLS, np.uint8), 0, ""

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        cells = self.np_random.permutation(CELLS)
        self.flags[:] = 0
        self.flags[cells[:3]] = self.np_random.choice(len(COLOURS), 3, replace=False) + 1
        self.agent = int(cells[3])
        return self.state(), {}

    def step(self, action):
        self.agent = int(np.clip(self.agent + (1 if int(action) == RIGHT else -1), 0, CELLS - 1))
        return self.state(), 0.0, False, False, {}

    def state(self) -> np.ndarray:
        return np.append(self.flags, self.agent).astype(np.uint8)


def _colour(goal: str) -> int:
    return COLOURS.index(goal.split()[-2]) + 1


class OnFlag(GoalDetector):
    """Ground truth: ``reach the red flag`` is achieved on the red flag's cell."""

    def __init__(self, aliases: Mapping[str, str] | None = None):
        self.aliases = dict(aliases or {})

    def reset(self, env, observation, goals, desired):
        self.colours = np.array([_colour(self.aliases.get(g, g)) for g in goals])
        env.unwrapped.mission = self.aliases.get(goals[desired], goals[desired])
        return observation

    def detect(self, env, observation, action, goal_ids):
        world = env.unwrapped
        return self.colours[goal_ids] == world.flags[world.agent]


@dataclass(frozen=True)
class FlagSchema:
    """One slot (the colour); abstract states ``(present, offset + CELLS - 1)`` of the flag from the agent."""

    slots: tuple[Slot, ...] = (
        Slot(
            "colour",
            "Which colour is the flag?",
            COLOURS,
            (("reach the red flag", "red"), ("reach the blue flag", "blue")),
        ),
    )

    def canonical_goal(self, text: str) -> str:
        return f"reach the {COLOURS[_colour(text) - 1]} flag"

    def goal_kind(self, text: str) -> str:
        return "reach"

    def oracle_choice(self, text: str) -> dict[str, str]:
        return {"colour": COLOURS[_colour(text) - 1]}

    def abstract(self, states: np.ndarray, choice: Mapping[str, str]) -> np.ndarray:
        hit = states[:, :CELLS] == COLOURS.index(choice["colour"]) + 1
        offset = np.where(hit.any(axis=1), hit.argmax(axis=1) - states[:, CELLS].astype(int), 0)
        return np.stack([hit.any(axis=1), offset + CELLS - 1], axis=1).astype(np.uint8)

    def describe(self, vectors: np.ndarray, choice: Mapping[str, str]) -> list[str]:
        words = {-1: "left", 1: "right"}
        return [
            "target: " + (f"{abs(d)} {words[int(np.sign(d))]}" if d else "here") if present else "target: none"
            for present, d in (vectors.astype(int) - [0, CELLS - 1]).tolist()
        ]

    def achieved(self, choice, states, actions, src, dst) -> np.ndarray:
        on = states[np.arange(len(states)), states[:, CELLS]] == COLOURS.index(choice["colour"]) + 1
        return on[np.asarray(dst)]

    def features(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grid = np.zeros((len(vectors), 1, 2 * CELLS - 1, 1), np.float32)
        grid[np.arange(len(vectors)), 0, vectors[:, 1], 0] = vectors[:, 0]
        return grid, vectors[:, :1].astype(np.float32)


class Walker:
    """The expert: walk toward the goal's flag."""

    def __init__(self, envs):
        self.envs = [envs] if isinstance(envs, gym.Env) else list(envs)

    def seed(self, seed):
        pass

    def predict(self, observation, state=None, episode_start=None, deterministic=False):
        actions = []
        for env in self.envs:
            world = env.unwrapped
            cells = np.flatnonzero(world.flags == _colour(world.mission))
            actions.append(RIGHT if len(cells) and cells[0] > world.agent else LEFT)
        batched = np.ndim(observation["desired_goal"]) == 2
        return (np.array(actions) if batched else actions[0]), state


class FlagKnowledge(EnvKnowledge):
    """Everything teduo-gym needs from FlagLine."""

    action_words = ("left", "right")
    describers = {
        "line": lambda env, obs: " ".join(map(str, np.asarray(obs["observation"] if isinstance(obs, dict) else obs)))
    }
    default_describer = "line"
    goal_kinds = ("reach",)

    def make_env(self, goals=None, *, aliases=None, goal_sampler="uniform", max_steps=None) -> gym.Env:
        world = gym.wrappers.TimeLimit(FlagLine(), max_steps or 8)
        return LanguageGoalWrapper(world, goals or self.goals(), OnFlag(aliases), goal_sampler)

    def goals(self, kinds=None) -> list[str]:
        return [f"reach the {c} flag" for c in COLOURS]

    def paraphrase(self, goal: str, rng: np.random.Generator) -> str:
        return goal.replace("reach", "get to")

    def feasible_goals(self, env, goals) -> np.ndarray:
        return np.array([i for i, g in enumerate(goals) if _colour(g) in env.unwrapped.flags], np.int64)

    def symbolic_state(self, env) -> np.ndarray:
        return env.unwrapped.state()

    def state_layout(self, env) -> dict[str, Any]:
        return {"kind": "flagline/1", "size": CELLS + 1}

    def goal_schema(self, layout, **options) -> FlagSchema:
        return FlagSchema()

    def expert_policy(self, env) -> Walker:
        return Walker(env)


#: What ``"env": "tests.test_your_env:knowledge"`` names.
knowledge = FlagKnowledge()

TINY = {
    "env": "tests.test_your_env:knowledge",
    "policy": "mixture",
    "layouts": 4,
    "test_layouts": 2,
    "episodes_per_layout": 4,
    "max_steps": 8,
    "goal_kinds": ["reach"],
    "train_goals": 2,
    "test_goals": 2,
    "label_mode": "compiled",
    "rollout_steps": 6,
    "finetune_steps": 2,
    "batch_size": 4,
    "eval_episodes": 2,
}


@pytest.mark.filterwarnings("ignore:.*(spec|unwrapped version).*:UserWarning")
def test_the_knowledge_in_this_file_serves_a_checked_environment():
    env = knowledge.make_env()
    check_env(env.unwrapped)
    check_env(env)
    obs, _ = env.reset(
        seed=0, options={"goal": knowledge.goals()[int(knowledge.feasible_goals(env, knowledge.goals())[0])]}
    )
    expert, reward = Walker(env), 0.0
    for _ in range(8):
        obs, reward, terminated, _, _ = env.step(expert.predict(obs)[0])
        if terminated:
            break
    assert reward == 1.0


@pytest.mark.timeout(600)
def test_teduo_run_on_knowledge_defined_in_this_file(tmp_path):
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({**TINY, "out": str(tmp_path / "run")}))
    teduo = Path(sys.executable).with_name("teduo")
    done = subprocess.run(
        [str(teduo), "run", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
        env={**os.environ, "PYTHONPATH": ""},  # `tests` imports from the working directory, as for a user
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "run"
    for pattern in ("data-*", "labels-*/labels_compiled.npz", "examples-*.jsonl", "agent-*/teduo_agent.json"):
        assert list(out.glob(pattern)), f"no {pattern} in {sorted(p.name for p in out.iterdir())}"
    (results,) = out.glob("results-*.json")
    evaluation = json.loads(results.read_text())["results"]["evaluation"]
    settings = {f"{a} layouts / {b} goals" for a in ("train", "test") for b in ("train", "test")}
    assert set(evaluation) == settings
    for summaries in evaluation.values():
        assert {"fine-tuned", "untuned", "random", "bot"} <= set(summaries)
        assert summaries["bot"]["success_rate"] == 1.0
    assert "### test layouts / test goals" in done.stdout


def test_an_unknown_env_is_one_line_and_no_traceback(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({**TINY, "env": "tests.no_such_module:knowledge", "out": str(tmp_path / "run")}))
    teduo = Path(sys.executable).with_name("teduo")
    done = subprocess.run([str(teduo), "run", "--config", str(config)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "teduo: error: cannot import 'tests.no_such_module' for knowledge 'tests.no_such_module:knowledge' (No module "
        "named 'tests.no_such_module'): install it, or run from the folder that holds it (or add that folder to "
        "PYTHONPATH) (--debug shows the traceback)"
    ]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", ["run", "finetune"])
def test_the_env_flag_replaces_the_config_env_and_an_unknown_one_is_one_line(tmp_path, capsys, command):
    from teduo_gym.cli import main

    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({**TINY, "out": str(tmp_path / "run")}))
    with pytest.raises(SystemExit) as exit_:
        main([command, "--config", str(config), "--env", "Nowhere-v0"])
    assert exit_.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("teduo: error: no teduo-gym knowledge for 'Nowhere-v0'; registered: BabyAI-*")
    assert not (tmp_path / "run").exists()


def test_the_env_flag_runs_the_stages_on_the_named_knowledge(tmp_path):
    from teduo_gym.cli import main

    config = tmp_path / "babyai.json"
    config.write_text(json.dumps({**TINY, "env": "BabyAI-GoToLocal-v0", "out": str(tmp_path / "run")}))
    main(["run", "--config", str(config), "--env", "tests.test_your_env:knowledge", "--until", "collect"])
    (manifest,) = (tmp_path / "run").glob("data-*/manifest.json")
    assert json.loads(manifest.read_text())["env_id"] == "tests.test_your_env:knowledge"


# -- the example file -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example():
    sys.path.insert(0, str(ROOT))
    import examples.teduo_your_env as example

    return example


@pytest.mark.filterwarnings("ignore:.*(spec|unwrapped version).*:UserWarning")
def test_the_example_world_and_its_language_goal_env_pass_the_env_checker(example):
    check_env(example.TileWorld())
    env = example.YourEnvKnowledge("YourGrid-v0").make_env()
    check_env(env)
    assert env.observation_space["observation"] == example.TileWorld().observation_space


def test_the_example_schema_predicate_agrees_with_its_detector_on_collected_transitions(example):
    """Every transition of planner-and-random episodes, every goal: the compiled predicate over stored states equals
    what the ground-truth detector said live."""
    k = example.YourEnvKnowledge("YourGrid-v0")
    goals = k.goals()
    rng = np.random.default_rng(0)
    states, src, dst, actions, truth = [], [], [], [], []
    for seed in range(40):
        env = k.make_env(goals)
        env.reset(seed=seed)  # the layout, to choose one of its goals
        obs, _ = env.reset(seed=seed, options={"goal": int(rng.choice(k.feasible_goals(env, goals)))})
        planner = k.expert_policy(env)
        states.append(k.symbolic_state(env))
        for _ in range(example.MAX_STEPS):
            action = planner.predict(obs)[0] if rng.random() < 0.6 else int(rng.integers(len(k.action_words)))
            obs, _, terminated, truncated, _ = env.step(action)
            src.append(len(states) - 1)
            states.append(k.symbolic_state(env))
            dst.append(len(states) - 1)
            actions.append(action)
            truth.append(obs["achieved_goal"].astype(bool))
            if terminated or truncated:
                break
    schema = k.goal_schema(k.state_layout(env))
    predicted = np.stack(
        [schema.achieved(schema.oracle_choice(g), np.array(states), np.array(actions), src, dst) for g in goals], axis=1
    )
    assert np.sum(truth) > 40  # the planner reaches goals, and hindsight finds others on the way
    np.testing.assert_array_equal(predicted, np.array(truth))


def test_the_example_config_names_the_example_knowledge(example):
    from teduo_gym.envs import knowledge_for
    from teduo_gym.recipes.teduo import RunConfig

    config = RunConfig.from_file(ROOT / "examples" / "your-env-quick.json")
    k = knowledge_for(config.env)
    assert isinstance(k, example.YourEnvKnowledge) and k.env_id == config.env
    split = k.goal_split(k.goals(config.goal_kinds), config.train_goals, config.test_goals, config.seed)
    assert len(split.train) == config.train_goals and split.test and set(split.test).isdisjoint(split.train)
    assert all(k.parse_goal(text) == canonical for text, canonical in split.canonical.items())
