"""What every layer of teduo-gym uses: atomic IO, digests, the cache root, run records, config reading, stage
bookkeeping, the executor of shards and the agent protocol.

- ``io.py`` -- :func:`atomic_write`, :func:`write_json`, :func:`write_text`, :class:`JsonlLog`.
- ``digest.py`` -- :func:`digest`, :func:`json_digest`.
- ``paths.py`` -- :func:`cache_root`.
- ``records.py`` -- :func:`write_record`, :func:`versions`, :func:`to_jsonable`.
- ``config.py`` -- :func:`read_config`.
- ``stage.py`` -- :class:`Stage`, :class:`StageRunner`, :class:`StageClock`, :func:`stage_key`.
- ``executor.py`` -- :class:`ExecutorConfig`, :func:`map_shards`, :func:`run_shards`.
- ``agent.py`` -- :class:`Agent`, the protocol every agent implements.
"""
