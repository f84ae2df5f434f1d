"""Fine-tuning an LLM into a policy: LoRA (peft) or full, with the loss on the action tokens only.

- :class:`ActionExample`, :class:`ActionSequence`, :func:`read_examples`, :func:`write_examples` (``examples.py``)
  -- the JSONL dataset.
- :class:`FinetuneConfig`, :func:`finetune`, :func:`tokenize_example` (``train.py``).
"""

from teduo_gym.datasets.examples import ActionExample, ActionSequence, read_examples, write_examples
from teduo_gym.finetune.train import FinetuneConfig, finetune, tokenize_example

__all__ = [
    "ActionExample",
    "ActionSequence",
    "FinetuneConfig",
    "finetune",
    "read_examples",
    "tokenize_example",
    "write_examples",
]
