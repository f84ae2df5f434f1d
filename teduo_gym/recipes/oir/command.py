"""The ``teduo oir CONFIG`` command: train the relabelling and the fixed-instruction agents from a JSON config.

- :class:`OIRCommand` -- a tyro-friendly dataclass; :meth:`OIRCommand.run` trains (resuming) and writes the run's
  record ``out/summary.json`` (:func:`~teduo_gym.core.records.write_record`: config, versions, results).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teduo_gym.core.records import write_record
from teduo_gym.recipes.oir.config import OIRConfig

__all__ = ["OIRCommand"]


@dataclass(frozen=True)
class OIRCommand:
    """Open-ended instruction relabelling on Craftax-Classic (see teduo_gym.recipes.oir.OIRConfig): an
    instruction-conditioned PQN agent with relabelling against the same agent on the 22 achievement instructions
    only, evaluated on achievement, paraphrased and compositional instructions with a report (out/report.md);
    reruns resume.

    Example:
        >>> OIRCommand(Path("examples/oir-craftax-quick.json")).run()  # doctest: +SKIP
    """

    #: the JSON config, e.g. examples/oir-craftax-quick.json.
    config: Path

    def run(self) -> dict[str, Any]:
        """Train every arm, evaluate them and a random agent; returns ``{agent: summary}`` (with ``"report"`` and
        ``"stages"``), written as the results of the run's record ``out/summary.json``, and the report to
        ``out/report.md``."""
        from teduo_gym.recipes.oir.train import run_oir  # JAX and Craftax: the craftax extra

        config = OIRConfig.from_file(self.config)
        results = run_oir(config)
        path = write_record(Path(config.out) / "summary.json", config, results)
        print(f"wrote {path} and {results['report']}")
        return results
