"""Where a stage's shards run: in this process, in local processes, or on a Ray cluster.

Every long stage (``collect``, ``label``, offline RL, ``evaluate``) cuts its work into shards whose results depend only
on the config and the shard, runs them through :func:`map_shards`, and saves each result in the driver as it
arrives. The executor therefore changes where the work runs, never what it computes, and a rerun after a failure
(a worker killed, a node lost, Ctrl-C) redoes only the shards that were not saved.

- :class:`ExecutorConfig` -- ``"local"`` (this process, or a process pool with ``workers > 1``) or ``"ray"`` (the
  cluster at ``address``, or a local Ray started for you), and how many shards run at once.
- :func:`map_shards` -- ``fn(shared, shard)`` for every shard, yielding ``(position, result)`` as shards finish;
  ``shared`` (a dataset, a config) travels once per worker (Ray: once per node, through its object store).
- :func:`run_shards` -- the same with a progress bar and a :class:`ShardFiles` store: finished shards are loaded,
  the others run and are saved as they finish.
- :class:`ShardFiles` -- one pickled result per shard in a folder, with the key of the work that made it.
- :func:`check_workers` -- that Ray's workers can run teduo-gym (the same version as this process).
"""

from __future__ import annotations

import importlib.metadata
import os
import pickle
import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal, TypeVar

from tqdm.auto import tqdm

from teduo_gym.core.io import atomic_write

__all__ = ["ExecutorConfig", "ExecutorError", "ShardFiles", "check_workers", "map_shards", "run_shards"]

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

#: Seconds to wait for a TCP connection to a Ray address before calling it unreachable (Ray itself retries for
#: minutes).
CONNECT_TIMEOUT_S = 5.0
#: The distribution Ray's workers must have installed.
DISTRIBUTION = "teduo-gym"


class ExecutorError(RuntimeError):
    """The executor cannot run the shards: Ray is missing or unreachable, or a worker died mid-shard."""


@dataclass(frozen=True)
class ExecutorConfig:
    """Where the shards of a stage run.

    Example:
        >>> ExecutorConfig().kind, ExecutorConfig().workers
        ('local', 1)
        >>> ExecutorConfig(kind="ray", address="127.0.0.1:6379", workers=8).address
        '127.0.0.1:6379'
    """

    #: "local": this process (workers 1) or a pool of spawned processes; "ray": Ray tasks.
    kind: Literal["local", "ray"] = "local"
    #: shards running at once (local: processes; ray: tasks in flight, e.g. the cluster's CPU count).
    workers: int = 1
    #: ray: the address of a running cluster ("HOST:PORT" of its head, "ray://HOST:10001" for Ray Client, "auto");
    #: none starts a local Ray with `workers` CPUs for this process.
    address: str | None = None
    #: ray: retries of a shard whose worker died (an exception raised by the shard's code is not retried).
    max_retries: int = 2

    def __post_init__(self) -> None:
        if self.kind not in ("local", "ray"):
            raise ValueError(f'executor kind must be "local" or "ray", got {self.kind!r}')
        if int(self.workers) < 1:
            raise ValueError(f"executor workers must be at least 1, got {self.workers}")
        if self.address and self.kind != "ray":
            raise ValueError(f"executor address {self.address!r} is for kind 'ray': add --executor.kind ray")
        if self.max_retries < 0:
            raise ValueError(f"executor max_retries must be at least 0, got {self.max_retries}")


def map_shards(
    fn: Callable[[S, T], R], shared: S, shards: Sequence[T], config: ExecutorConfig | None = None
) -> Iterator[tuple[int, R]]:
    """``fn(shared, shard)`` for every shard; yields ``(position in shards, result)`` in the order shards finish.

    ``fn`` must be a module-level function (workers import it by name). An exception raised by ``fn`` reaches the
    caller as itself (Ray wraps it in a subclass of its type); results yielded before it are the caller's to keep.

    Example:
        >>> sorted(map_shards(pow, 2, [1, 2, 3]))
        [(0, 2), (1, 4), (2, 8)]

    Raises:
        ExecutorError: Ray is not installed or its cluster is unreachable, or a worker died (after ``max_retries``
            retries on Ray) -- the shards yielded before are complete.
    """
    config = config or ExecutorConfig()
    if not shards:
        return
    if config.kind == "ray":
        yield from _ray_map(fn, shared, shards, config)
    elif config.workers == 1 or len(shards) == 1:
        for position, shard in enumerate(shards):
            yield position, fn(shared, shard)
    else:
        yield from _pool_map(fn, shared, shards, config)


def run_shards(
    fn: Callable[[S, T], R],
    shared: S,
    shards: Sequence[T],
    config: ExecutorConfig | None = None,
    *,
    store: ShardFiles | None = None,
    desc: str = "shards",
    progress: bool = True,
) -> list[R]:
    """The results of ``fn(shared, shard)`` for every shard, in shard order: those ``store`` holds are loaded, the
    others run through :func:`map_shards` and are saved in ``store`` as each finishes.

    Example:
        >>> import tempfile
        >>> store = ShardFiles(tempfile.mkdtemp(), key="squares")
        >>> run_shards(pow, 2, [1, 2, 3], store=store, progress=False)
        [2, 4, 8]
        >>> store.load(2)
        8
    """
    results: list[Any] = [None] * len(shards)
    todo = []
    for i in range(len(shards)):
        found = store.load(i) if store is not None else ShardFiles.MISSING
        if found is ShardFiles.MISSING:
            todo.append(i)
        else:
            results[i] = found
    with tqdm(total=len(shards), initial=len(shards) - len(todo), desc=desc, unit="shard", disable=not progress) as bar:
        for position, result in map_shards(fn, shared, [shards[i] for i in todo], config):
            if store is not None:
                store.save(todo[position], result)
            results[todo[position]] = result
            bar.update()
    return results


class ShardFiles:
    """One result per shard, pickled as ``folder/shard-00000.pkl`` with the key of the work that made it.

    A result saved under another key is refused (the folder belongs to other work); writes are atomic, so a killed
    run leaves whole files or none. The files are this toolkit's own outputs: do not load folders you did not write.

    Example:
        >>> import tempfile
        >>> store = ShardFiles(tempfile.mkdtemp(), key="k")
        >>> store.save(0, {"a": 1}); store.load(0), store.load(1) is ShardFiles.MISSING
        ({'a': 1}, True)
    """

    #: What :meth:`load` returns for a shard not saved yet.
    MISSING: Any = object()

    def __init__(self, folder: str | Path, key: str):
        self.folder, self.key = Path(folder), key

    def path(self, shard: int) -> Path:
        """The file of shard ``shard``."""
        return self.folder / f"shard-{shard:05d}.pkl"

    def load(self, shard: int) -> Any:
        """The saved result of ``shard``, or :attr:`MISSING`.

        Raises:
            ValueError: the file is unreadable, or was made with another key.
        """
        path = self.path(shard)
        if not path.is_file():
            return self.MISSING
        try:
            key, result = pickle.loads(path.read_bytes())
        except Exception as err:  # any unpickling failure means the same thing here
            raise ValueError(
                f"shard file {path} is unreadable ({type(err).__name__}: {err}); delete it and rerun: only that "
                "shard is redone"
            ) from err
        if key != self.key:
            raise ValueError(
                f"shard file {path} was made by other work (another config or dataset): write into another folder, "
                f"or delete {self.folder} to start over"
            )
        return result

    def save(self, shard: int, result: Any) -> None:
        """Write ``result`` as shard ``shard`` (atomically)."""
        data = pickle.dumps((self.key, result), protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write(self.path(shard), lambda tmp: tmp.write_bytes(data))


# -- local processes ----------------------------------------------------------------------------------------

_SHARED: Any = None


def _init_worker(shared: Any, threads: int) -> None:
    """A pool process: hold ``shared`` and share the cores with the other processes."""
    global _SHARED
    _SHARED = shared
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)


def _call_shared(fn: Callable[[Any, Any], Any], shard: Any) -> Any:
    return fn(_SHARED, shard)


def _pool_map(
    fn: Callable[[S, T], R], shared: S, shards: Sequence[T], config: ExecutorConfig
) -> Iterator[tuple[int, R]]:
    workers = min(config.workers, len(shards))
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_init_worker, initargs=(shared, threads)
    )
    pending: dict[Future[Any], int] = {}
    try:
        for position, shard in enumerate(shards):
            pending[pool.submit(_call_shared, fn, shard)] = position
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                position = pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool as err:
                    raise ExecutorError(
                        f"a worker process died (killed, or out of memory) while running shard {position}; the shards "
                        "that finished are saved: rerun to resume (fewer workers need less memory)"
                    ) from err
                yield position, result
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


# -- Ray -------------------------------------------------------------------------------------------------------


def _ray() -> Any:
    try:
        import ray
    except ImportError as err:
        raise ExecutorError(
            "the ray executor needs Ray: pip install 'teduo-gym[ray]' (or pip install ray) here and on every node of "
            "the cluster"
        ) from err
    return ray


def _check_reachable(address: str) -> None:
    """Fail fast with a clear message where Ray would retry for minutes."""
    if address == "auto":
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"Ray address {address!r} is not HOST:PORT (or ray://HOST:PORT, or auto)")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise ExecutorError(
            f"cannot reach the Ray cluster at {address} ({err}): start one with `ray start --head --port {port}` "
            "(`ray status` prints its address), or leave the address empty to start a local Ray"
        ) from err


#: The address this module connected Ray to ("" for a local Ray it started), None if it did not.
_connected: str | None = None


def _connect(config: ExecutorConfig) -> Any:
    """Ray, initialised: the cluster of ``config.address``, or a new local one; a connection made by the caller
    (``ray.init`` before the stage) is used as it is."""
    global _connected
    ray = _ray()
    wanted = config.address or ""
    if ray.is_initialized() and _connected is not None and _connected != wanted:
        ray.shutdown()  # connected by an earlier stage to another cluster
    if not ray.is_initialized():
        options: dict[str, Any] = {"logging_level": "ERROR", "log_to_driver": False}
        if config.address:
            _check_reachable(config.address)
            ray.init(address=config.address, **options)
        else:
            # "local": a new Ray for this process, never a cluster another `ray start` left on this machine
            ray.init(address="local", num_cpus=config.workers, include_dashboard=False, **options)
        _connected = wanted
        check_workers()
    return ray


def check_workers(distribution: str = DISTRIBUTION) -> str:
    """That a Ray worker has ``distribution`` installed, at this process's version; returns that version.

    Raises:
        ExecutorError: the workers lack it, or have another version.
    """
    ray = _ray()
    here = importlib.metadata.version(DISTRIBUTION) if distribution == DISTRIBUTION else None
    probe = ray.remote(importlib.metadata.version).options(num_cpus=0, max_retries=0)
    try:
        there = ray.get(probe.remote(distribution))
    except ray.exceptions.RayError as err:
        cause = str(err).strip().splitlines()[-1]
        raise ExecutorError(
            f"the Ray workers cannot find {distribution!r} ({cause}): install it on every node of the cluster, in "
            "the environment `ray start` runs from (the same version as here)"
        ) from err
    if here is not None and there != here:
        raise ExecutorError(
            f"the Ray workers have {distribution} {there} but this process has {here}: install the same version on "
            "every node"
        )
    return str(there)


def _ray_map(
    fn: Callable[[S, T], R], shared: S, shards: Sequence[T], config: ExecutorConfig
) -> Iterator[tuple[int, R]]:
    ray = _connect(config)
    remote = ray.remote(fn).options(max_retries=config.max_retries, num_cpus=1)
    shared_ref = ray.put(shared)
    pending: dict[Any, int] = {}
    submitted = 0
    try:
        while pending or submitted < len(shards):
            while submitted < len(shards) and len(pending) < config.workers:  # a lost worker costs one shard
                pending[remote.remote(shared_ref, shards[submitted])] = submitted
                submitted += 1
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            position = pending.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayTaskError:
                raise  # the shard's own exception (an instance of its type too): as it would be locally
            except ray.exceptions.RayError as err:
                raise ExecutorError(
                    f"a Ray worker died while running shard {position} ({type(err).__name__}, after "
                    f"{config.max_retries} retries); the shards that finished are saved: rerun to resume"
                ) from err
            yield position, result
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
