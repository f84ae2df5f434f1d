"""SB3 baselines on a protocol's training layouts and goals: real minigrid, real Stable-Baselines3, tiny budgets."""

import csv
import json
import shutil
import warnings
from collections import Counter
from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from teduo_gym.agents import SB3Agent
from teduo_gym.envs.babyai import QuietGeneration, describe_egocentric, feasible_goals
from teduo_gym.evaluation import run_episodes
from teduo_gym.evaluation.protocol import Protocol
from teduo_gym.online import SB3Config, make_training_env, train_sb3
from teduo_gym.recipes.teduo import RunConfig

SMALL = {"layouts": 5, "test_layouts": 2, "train_goals": 8, "test_goals": 4, "max_steps": 32, "eval_episodes": 4}


class Crash(Exception):
    """A simulated crash."""


class CrashAt(BaseCallback):
    """Raises :class:`Crash` once training has taken ``steps`` environment steps."""

    def __init__(self, steps: int):
        super().__init__()
        self.steps = steps

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.steps:
            raise Crash
        return True


class Spy(BaseCallback):
    """Records the step count training starts from and the environment steps it takes."""

    start: int | None = None
    taken = 0

    def _on_training_start(self) -> None:
        self.start = self.num_timesteps

    def _on_step(self) -> bool:
        self.taken += self.training_env.num_envs
        return True


def write_run_config(path, **settings):
    path.write_text(json.dumps({"out": str(path.parent / "run"), **SMALL, **settings}))
    return path


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("sb3")


@pytest.fixture(scope="module")
def run_config(root):
    return write_run_config(root / "run.json")


@pytest.fixture(scope="module")
def protocol(run_config):
    return Protocol.from_run_config(RunConfig.from_file(run_config))


@pytest.fixture(scope="module")
def ppo_config(run_config, root):
    return SB3Config(
        config=run_config, algo="ppo", steps=1024, n_envs=2, checkpoint_every=256, out=root / "ppo", progress=False
    )


@pytest.fixture(scope="module")
def ppo_run(ppo_config, protocol):
    return train_sb3(ppo_config, protocol)


@pytest.fixture(scope="module")
def dqn_run(run_config, root, protocol):
    """DQN + HER, crashed after its checkpoint at 1000 steps, then rerun to its budget of 1500."""
    out = root / "dqn"
    config = SB3Config(config=run_config, algo="dqn", steps=1500, checkpoint_every=500, out=out, progress=False)
    with pytest.raises(Crash):
        train_sb3(config, protocol, [CrashAt(1200)])
    checkpoint = sorted(p.name for p in (config.out / "checkpoints").iterdir())
    spy = Spy()
    train_sb3(config, protocol, [spy])
    return config.out, checkpoint, spy


def read_curve(out):
    with open(out / "learning_curve.csv") as f:
        return list(csv.DictReader(f))


def layout_key(env):
    u = env.unwrapped
    return u.grid.encode().tobytes(), tuple(int(x) for x in u.agent_pos), int(u.agent_dir)


def test_training_resets_only_visit_training_layouts_and_feasible_training_goals(protocol):
    probe = QuietGeneration(gym.make(protocol.env))
    train, test, expected = {}, set(), set()
    for seed in protocol.train_layouts:
        probe.reset(seed=seed)
        train[layout_key(probe)] = seed
        expected |= {(seed, protocol.train_goals[i]) for i in feasible_goals(probe.unwrapped, protocol.train_goals)}
    for seed in protocol.test_layouts:
        probe.reset(seed=seed)
        test.add(layout_key(probe))
    env = make_training_env(protocol)
    seen: Counter = Counter()
    for i in range(400):
        obs, info = env.reset(seed=i if i % 100 == 0 else None)
        key = layout_key(env)
        assert key in train and key not in test
        assert info["layout"] == train[key]
        goal = info["goal"]
        assert goal in protocol.train_goals and goal not in protocol.test_goals
        assert len(feasible_goals(env.unwrapped, [goal])) == 1
        assert obs["desired_goal"].sum() == 1 and obs["desired_goal"].argmax() == protocol.vocabulary.index(goal)
        seen[info["layout"], goal] += 1
    assert set(seen) == expected  # every feasible training pair is drawn, and nothing else
    assert max(seen.values()) < 6 * min(seen.values())  # roughly uniform
    with pytest.raises(ValueError, match="chooses the goal"):
        env.reset(options={"goal": protocol.test_goals[0]})


def test_training_env_passes_the_environment_checkers(protocol):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gymnasium's "the environment is wrapped" notice
        gym_check_env(make_training_env(protocol), skip_render_check=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # SB3 warns about what it cannot use
        sb3_check_env(make_training_env(protocol))


def test_ppo_run_writes_model_record_and_learning_curve(ppo_run, ppo_config, protocol):
    assert {p.name for p in ppo_run.iterdir()} == {"model.zip", "sb3.json", "learning_curve.csv"}
    record = json.loads((ppo_run / "sb3.json").read_text())
    config, results = record["config"], record["results"]
    assert (config["algo"], config["steps"], config["seed"], config["n_envs"]) == ("ppo", 1024, 0, 2)
    assert config["protocol_fingerprint"] == protocol.fingerprint()
    assert config["goals"] == protocol.vocabulary
    assert config["protocol"]["train_layouts"] == list(protocol.train_layouts)
    assert config["hyperparameters"]["n_steps"] == 128
    assert record["versions"]["stable-baselines3"] != "missing"
    rows = read_curve(ppo_run)
    assert list(rows[0]) == ["steps", "episodes", "success_rate", "mean_length"]
    steps = [int(r["steps"]) for r in rows]
    assert steps == sorted(set(steps)) and 45 <= len(rows) <= 55  # one row about every 1024 / 50 steps
    assert [int(r["episodes"]) for r in rows] == sorted(int(r["episodes"]) for r in rows)
    assert results["steps_done"] == steps[-1] == 1024 and results["resumed_from"] == []
    assert results["episodes"] == int(rows[-1]["episodes"]) >= 1024 // protocol.max_steps
    assert 0.0 <= results["success_rate"] <= 1.0
    assert results["success_rate"] == pytest.approx(float(rows[-1]["success_rate"]), abs=1e-4)
    assert 1 <= results["mean_length"] <= protocol.max_steps and results["wall_seconds"] > 0


def test_finished_run_is_not_retrained(ppo_run, ppo_config, protocol):
    before = (ppo_run / "model.zip").stat().st_mtime_ns
    spy = Spy()
    assert train_sb3(ppo_config, protocol, [spy]) == ppo_run
    assert spy.start is None and (ppo_run / "model.zip").stat().st_mtime_ns == before


def test_same_config_and_seed_give_the_same_numbers(ppo_run, ppo_config, root, protocol):
    again = train_sb3(replace(ppo_config, out=root / "ppo-again"), protocol)
    assert (again / "learning_curve.csv").read_text() == (ppo_run / "learning_curve.csv").read_text()
    a, b = (PPO.load(out / "model.zip", device="cpu").policy.state_dict() for out in (ppo_run, again))
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_interrupted_run_resumes_from_its_latest_checkpoint(ppo_run, ppo_config, root, protocol):
    config = replace(ppo_config, out=root / "ppo-crashed")
    with pytest.raises(Crash):
        train_sb3(config, protocol, [CrashAt(600)])
    # checkpoints at rollout starts (every 2 x 128 steps) 256 and 512; only the latest is kept
    assert sorted(p.name for p in (config.out / "checkpoints").iterdir()) == ["512.json", "512.zip"]
    assert json.loads((config.out / "sb3.json").read_text())["results"] is None
    assert not (config.out / "model.zip").exists()
    assert int(read_curve(config.out)[-1]["steps"]) > 512  # rows past the checkpoint, to be dropped
    copy = root / "ppo-crashed-copy"
    shutil.copytree(config.out, copy)

    spy = Spy()
    train_sb3(config, protocol, [spy])
    assert (spy.start, spy.taken) == (512, 1024 - 512)  # continued, not restarted
    results = json.loads((config.out / "sb3.json").read_text())["results"]
    assert results["steps_done"] == 1024 and results["resumed_from"] == [512]
    assert not (config.out / "checkpoints").exists()
    rows = read_curve(config.out)
    steps = [int(r["steps"]) for r in rows]
    assert steps == sorted(set(steps)) and steps[-1] == 1024
    before = [r for r in read_curve(ppo_run) if int(r["steps"]) <= 512]
    assert rows[: len(before)] == before  # up to the checkpoint, what the uninterrupted run logged
    assert int(rows[len(before)]["episodes"]) >= int(before[-1]["episodes"])  # the episode count goes on

    train_sb3(replace(config, out=copy), protocol)  # resuming from the same checkpoint gives the same numbers
    assert (copy / "learning_curve.csv").read_text() == (config.out / "learning_curve.csv").read_text()


def test_dqn_her_checkpoints_its_replay_buffer_and_resumes(dqn_run):
    out, checkpoint, spy = dqn_run
    assert checkpoint == ["1000.json", "1000.replay.pkl", "1000.zip"]
    assert (spy.start, spy.taken) == (1000, 500)
    record = json.loads((out / "sb3.json").read_text())
    assert record["config"]["n_envs"] == 1 and record["config"]["hyperparameters"]["replay_buffer_kwargs"] == {
        "n_sampled_goal": 4,
        "goal_selection_strategy": "future",
    }
    assert record["results"]["steps_done"] == 1500 and record["results"]["resumed_from"] == [1000]
    assert [int(r["steps"]) for r in read_curve(out)][-1] == 1500


def test_out_folder_of_another_config_is_an_error(ppo_run, ppo_config, root, protocol):
    with pytest.raises(ValueError, match=r"algo 'ppo' there, 'dqn' here.*Pass another --out, or delete"):
        train_sb3(replace(ppo_config, algo="dqn"), protocol)
    other = write_run_config(root / "other.json", seed=1)
    with pytest.raises(ValueError, match="protocol_fingerprint"):
        train_sb3(replace(ppo_config, config=other), Protocol.from_run_config(RunConfig.from_file(other)))
    with pytest.raises(ValueError, match=r"SB3Config.out is None"):
        train_sb3(replace(ppo_config, out=None), protocol)


@pytest.mark.parametrize("algo", ["ppo", "dqn"])
def test_saved_model_acts_through_sb3agent_in_the_evaluation_env(algo, ppo_run, dqn_run, protocol):
    out = ppo_run if algo == "ppo" else dqn_run[0]
    envs = [protocol.make_env(describe_egocentric) for _ in range(2)]
    agent = SB3Agent(out / "model.zip", envs[0].observation_space["observation"], envs[0].get_wrapper_attr("goals"))
    specs = protocol.episode_specs()[::3]  # every setting: test layouts and test goals too
    results = run_episodes(
        agent, envs, [s.layout_seed for s in specs], reset_options=[{"goal": s.goal} for s in specs], progress=False
    )
    assert [r.goal for r in results] == [s.goal for s in specs]
    assert all(1 <= r.length <= protocol.max_steps for r in results)
    obs, _ = envs[0].reset(seed=specs[0].layout_seed, options={"goal": specs[0].goal})
    assert "text" in obs
    expected, _ = agent.model.predict(obs["observation"], deterministic=True)
    assert int(agent.predict(obs, deterministic=True)[0]) == int(expected)


def test_sb3agent_refuses_another_goal_vocabulary(ppo_run, protocol, root):
    env = protocol.make_env(describe_egocentric)
    other = Protocol.from_run_config(RunConfig.from_file(write_run_config(root / "other-goals.json", seed=1)))
    other_env = other.make_env(describe_egocentric)
    assert other.vocabulary != protocol.vocabulary
    assert other_env.observation_space == env.observation_space  # only the vocabulary tells them apart
    space = env.observation_space["observation"]
    with pytest.raises(ValueError, match=r"trained on goals \[.*\], this environment has \[.*only the model's"):
        SB3Agent(ppo_run / "model.zip", space, other.vocabulary)
    with pytest.raises(ValueError, match="the same goals in another order"):
        SB3Agent(ppo_run / "model.zip", space, protocol.vocabulary[::-1])
    with pytest.raises(ValueError, match=r"give the environment's goals"):
        SB3Agent(ppo_run / "model.zip", space)
    with pytest.raises(ValueError, match="trained on observations"):  # the observation check still comes first
        SB3Agent(ppo_run / "model.zip", space["observation"], protocol.vocabulary)
