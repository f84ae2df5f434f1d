"""The executors: in-process, a local process pool, and a real Ray cluster started on loopback (a head and two worker
processes); collect, label, offline RL and evaluate give the same results on each."""

from __future__ import annotations

import importlib.metadata
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from teduo_gym.core.executor import ExecutorConfig, ExecutorError, ShardFiles, check_workers, map_shards, run_shards

ray = pytest.importorskip("ray")


# -- functions the workers run (pickled by value: the workers need not import this test module) -----------------


def power(base: int, shard: int) -> int:
    return base**shard


def die_at_two(folder: str, shard: int) -> int:
    """Kills its worker process on shard 2 unless ``folder/alive`` exists; records every shard it finishes."""
    if shard == 2 and not (Path(folder) / "alive").exists():
        os._exit(1)
    (Path(folder) / f"ran-{shard}").touch()
    return shard * 10


def die_once(folder: str, shard: int) -> int:
    """Kills its worker the first time it runs shard 1 (Ray retries it on a new worker)."""
    marker = Path(folder) / "died"
    if shard == 1 and not marker.exists():
        marker.touch()
        os._exit(1)
    return shard


def refuse(folder: str, shard: int) -> int:
    raise FileNotFoundError(f"no such shard {shard}")


# -- the cluster -----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(teduo_cache, tmp_path_factory):
    """A Ray head on loopback with 2 CPUs (two worker processes); its address. It inherits $TEDUO_CACHE, so the
    workers load the embedded model from the session's cache as this process does, and a home of its own: a local
    Ray (the last test) writes ~/.ray/auth_token, which a head started later would demand from its clients."""
    port = _free_port()
    folder = tmp_path_factory.mktemp("ray")
    log = folder / "head.log"
    command = [
        str(Path(sys.executable).with_name("ray")),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        "--num-cpus=2",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    with open(log, "w") as out:
        head = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(folder)})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if head.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Ray head did not start: {log.read_text()[-2000:]}")
                time.sleep(0.5)
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
        yield f"127.0.0.1:{port}"
    finally:
        ray.shutdown()
        head.terminate()  # `ray start --block` stops the processes it started
        head.wait(timeout=60)


# -- without a cluster -----------------------------------------------------------------------------------------


def test_local_executors_run_every_shard(tmp_path):
    assert sorted(map_shards(power, 2, [1, 2, 3])) == [(0, 2), (1, 4), (2, 8)]
    pooled = sorted(map_shards(power, 3, [1, 2, 3, 4], ExecutorConfig(workers=2)))
    assert pooled == [(0, 3), (1, 9), (2, 27), (3, 81)]
    with pytest.raises(FileNotFoundError, match="no such shard"):  # a shard's own error reaches the caller as itself
        list(map_shards(refuse, str(tmp_path), [0, 1], ExecutorConfig(workers=2)))


def test_a_killed_local_worker_loses_only_its_shard(tmp_path):
    store = ShardFiles(tmp_path / "parts", key="k")
    with pytest.raises(ExecutorError, match="worker process died.*rerun to resume"):
        run_shards(die_at_two, str(tmp_path), [0, 1, 2, 3], ExecutorConfig(workers=2), store=store, progress=False)
    saved = {i for i in range(4) if store.load(i) is not ShardFiles.MISSING}
    assert 2 not in saved
    (tmp_path / "alive").touch()
    for i in range(4):
        (tmp_path / f"ran-{i}").unlink(missing_ok=True)
    assert run_shards(die_at_two, str(tmp_path), [0, 1, 2, 3], store=store, progress=False) == [0, 10, 20, 30]
    assert {i for i in range(4) if (tmp_path / f"ran-{i}").exists()} == set(range(4)) - saved  # finished: not rerun


def test_shard_files_refuse_other_work_and_unreadable_files(tmp_path):
    ShardFiles(tmp_path, key="a").save(0, [1, 2])
    with pytest.raises(ValueError, match="made by other work"):
        ShardFiles(tmp_path, key="b").load(0)
    (tmp_path / "shard-00001.pkl").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="unreadable.*delete it and rerun"):
        ShardFiles(tmp_path, key="a").load(1)


def test_bad_executor_settings_and_an_unreachable_cluster_are_named():
    with pytest.raises(ValueError, match="workers must be at least 1"):
        ExecutorConfig(workers=0)
    with pytest.raises(ValueError, match="is for kind 'ray'"):
        ExecutorConfig(address="127.0.0.1:6379")
    with pytest.raises(ValueError, match='"local" or "ray"'):
        ExecutorConfig(kind="dask")  # type: ignore[arg-type]
    start = time.monotonic()
    with pytest.raises(ExecutorError, match="cannot reach the Ray cluster at 127.0.0.1:9.*ray start --head"):
        list(map_shards(power, 2, [1], ExecutorConfig(kind="ray", address="127.0.0.1:9")))
    assert time.monotonic() - start < 30  # Ray alone retries for minutes
    with pytest.raises(ExecutorError, match="not HOST:PORT"):
        list(map_shards(power, 2, [1], ExecutorConfig(kind="ray", address="nowhere")))


# -- on the cluster --------------------------------------------------------------------------------------------


def test_ray_runs_shards_retries_lost_workers_and_names_what_is_missing(cluster, tmp_path):
    config = ExecutorConfig(kind="ray", address=cluster, workers=2)
    assert sorted(map_shards(power, 2, [1, 2, 3, 4], config)) == [(0, 2), (1, 4), (2, 8), (3, 16)]
    # a worker killed mid-shard: Ray retries the shard on another worker
    assert sorted(r for _, r in map_shards(die_once, str(tmp_path), [0, 1, 2], config)) == [0, 1, 2]
    # out of retries: a clear error; the finished shards are saved and a rerun runs only the others
    store = ShardFiles(tmp_path / "parts", key="k")
    once = ExecutorConfig(kind="ray", address=cluster, workers=1, max_retries=0)
    with pytest.raises(ExecutorError, match="Ray worker died while running shard 2.*rerun to resume"):
        run_shards(die_at_two, str(tmp_path), [0, 1, 2, 3], once, store=store, progress=False)
    assert [store.load(i) for i in (0, 1)] == [0, 10]
    (tmp_path / "alive").touch()
    for i in range(4):
        (tmp_path / f"ran-{i}").unlink(missing_ok=True)
    assert run_shards(die_at_two, str(tmp_path), [0, 1, 2, 3], once, store=store, progress=False) == [0, 10, 20, 30]
    assert sorted(p.name for p in tmp_path.glob("ran-*")) == ["ran-2", "ran-3"]
    with pytest.raises(FileNotFoundError, match="no such shard 0"):  # the shard's own error, as itself
        list(map_shards(refuse, str(tmp_path), [0], config))


def test_workers_without_the_package_are_named(cluster):
    list(map_shards(power, 2, [1], ExecutorConfig(kind="ray", address=cluster)))  # connected
    assert check_workers() == importlib.metadata.version("teduo-gym")
    with pytest.raises(ExecutorError, match="cannot find 'teduo-gym-nightly'.*install it on every node"):
        check_workers("teduo-gym-nightly")


def test_collect_label_offline_rl_and_evaluate_on_ray_equal_local(cluster, tmp_path):
    from teduo_gym.collection import CollectConfig, collect
    from teduo_gym.datasets import load_dataset
    from teduo_gym.envs.babyai.actions import ACTION_WORDS
    from teduo_gym.evaluation.protocol import Protocol
    from teduo_gym.labeling import LabelConfig, LabelTable, label
    from teduo_gym.offline import sharded_action_examples
    from teduo_gym.recipes.teduo import RunConfig
    from teduo_gym.recipes.teduo_evaluation import evaluate_run

    run = RunConfig(
        out=tmp_path / "run", layouts=3, test_layouts=2, train_goals=4, test_goals=6, eval_episodes=2, max_steps=12
    )
    goals_file = tmp_path / "goals.txt"
    goals_file.write_text("\n".join(Protocol.from_run_config(run).train_goals[:2]) + "\n")
    executors = {
        "local": ExecutorConfig(),
        "ray": ExecutorConfig(kind="ray", address=cluster, workers=2),
    }
    found = {}
    for name, executor in executors.items():
        data_dir = collect(
            CollectConfig(
                env=run.env,
                layouts=run.layouts,
                test_layouts=run.test_layouts,
                episodes_per_layout=2,
                max_steps=run.max_steps,
                shard_episodes=2,
                out=tmp_path / name / "data",
                executor=executor,
            ),
            progress=False,
        )
        data = load_dataset(data_dir)
        label(
            LabelConfig(
                dataset=str(data_dir),
                goals_file=str(goals_file),
                modes=("judge",),
                cache_dir=str(tmp_path / name / "cache"),  # fresh: every judgement is made on this executor
                out_dir=str(tmp_path / name / "labels"),
                goals_per_shard=1,
                executor=executor,
            )
        )
        table = LabelTable.load(tmp_path / name / "labels" / "labels_judge.npz", data)
        examples = sharded_action_examples(
            data, table, ACTION_WORDS, goals_per_shard=1, executor=executor, progress=False
        )
        evaluation = evaluate_run(
            run,
            {"bot": "bot", "random": "random", "untuned": "untuned"},
            out=tmp_path / name / "evaluation",
            executor=executor,
            n_envs=2,
            progress=False,
        )
        records = {
            agent: sorted(
                json.dumps(json.loads(line), sort_keys=True)
                for line in (tmp_path / name / "evaluation" / "episodes" / f"{agent}.jsonl").read_text().splitlines()
            )
            for agent in ("bot", "random", "untuned")
        }
        found[name] = (data, table, examples, evaluation, records)
    (data, table, examples, evaluation, records), (data2, table2, examples2, evaluation2, records2) = found.values()
    assert data.fingerprint() == data2.fingerprint() and data.texts == data2.texts
    assert table.goals == table2.goals and (table.labels != table2.labels).nnz == 0
    assert np.array_equal(table.scores, table2.scores) and table.choices == table2.choices
    assert list(table.llm_calls) == list(table2.llm_calls)
    assert examples == examples2
    assert evaluation == evaluation2 and records == records2
    assert not (tmp_path / "ray" / "labels" / "labels_judge.parts").exists()  # merged, then removed


def test_without_an_address_a_local_ray_is_started(cluster, tmp_path):
    """No address: a Ray of this process's own (not the cluster connected before, nor one `ray start` left)."""
    list(map_shards(power, 2, [1], ExecutorConfig(kind="ray", address=cluster)))
    assert sorted(map_shards(power, 2, [1, 2, 3], ExecutorConfig(kind="ray", workers=2))) == [(0, 2), (1, 4), (2, 8)]
    assert ray.cluster_resources()["CPU"] == 2 and ray.get_runtime_context().gcs_address != cluster
