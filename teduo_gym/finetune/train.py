"""Fine-tune an LLM into an :class:`~teduo_gym.agents.LLMAgent`: LoRA (peft) or full, loss on the action only.

- :class:`FinetuneConfig` -- what to train (one ``--flag`` per field).
- :func:`finetune` -- train with Hugging Face's ``Trainer`` (checkpoints, resume, progress bar) and save an agent
  that :meth:`LLMAgent.from_pretrained <teduo_gym.agents.LLMAgent.from_pretrained>` loads, with the environment's
  action words in the environment's order (action ``i`` is word ``i``).
- :func:`tokenize_example` -- prompt and action tokens, with the loss masked to the action.
- :func:`collate_actions`, :func:`action_loss` -- left-padded batches whose vocabulary logits are computed only at
  the action tokens (the prompt's are never needed: about 20% of a step's time on SmolLM2-135M).

One process (CPU or one GPU) is the default. Under ``accelerate launch`` or ``torchrun`` (``python -m
teduo_gym.finetune``, see ``__main__.py``) each process trains a replica on its share of every batch (DDP) and
only the first process writes files; the others wait for it and return the same path.

Each example is the agent's own prompt (:meth:`LLMAgent.prompt`) followed by the action word; the loss is the
cross-entropy of the action tokens only (prompt tokens get label -100), which is exactly what the agent scores
when it acts: ``argmax_a log p(a | prompt)``.
"""

from __future__ import annotations

import inspect
import json
import re
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import torch

from teduo_gym.agents.llm_agent import DEFAULT_TEMPLATE, AgentConfig, save_agent
from teduo_gym.core.io import write_json
from teduo_gym.core.records import write_record
from teduo_gym.datasets.examples import ActionExample, read_examples
from teduo_gym.envs import knowledge_for
from teduo_gym.llm.transformers_backend import pad_left

__all__ = [
    "FinetuneConfig",
    "action_loss",
    "action_words",
    "collate_actions",
    "finetune",
    "last_checkpoint",
    "tokenize_example",
    "whole_run_loss",
]

_RUN_FILE = "teduo_finetune.json"
#: The key of a step's loss in the trainer state's ``log_history`` (saved with every checkpoint, restored on resume).
_STEP_LOSS = "step_loss"


@dataclass(frozen=True)
class FinetuneConfig:
    """Fine-tune an LLM on (goal, state text, action) examples."""

    #: the JSONL examples (see teduo_gym.datasets.examples).
    data: Path
    #: where the agent is saved; checkpoints go to OUT/checkpoints and a rerun resumes from the last one.
    out: Path = Path("runs/agent")
    #: the environment whose action words (in its action order) the agent chooses among: a registered id or
    #: module:attr; or give action_words, or set free_text.
    env: str | None = None
    #: the agent's action words in the environment's action order (action i is word i), when env is not given.
    action_words: tuple[str, ...] | None = None
    #: actions are free text (WebShop's ``click[...]``): any string the examples hold; the saved model has no action
    #: words (load it with TransformersBackend, or LLMAgent.from_pretrained(..., action_words=...)).
    free_text: bool = False
    #: the base model directory; None is the embedded SmolLM2-135M-Instruct.
    model: str | None = None
    #: 'lora' trains low-rank adapters (peft); 'full' trains every weight.
    method: Literal["lora", "full"] = "lora"
    #: LoRA rank.
    lora_r: int = 16
    #: LoRA scaling alpha.
    lora_alpha: int = 32
    #: learning rate (constant after a short warm-up).
    learning_rate: float = 5e-4
    #: examples per optimiser step on each process: N processes (accelerate launch, torchrun) take batch_size x N
    #: per step, so divide it by N to keep the one-process batch.
    batch_size: int = 16
    #: optimiser steps.
    max_steps: int = 200
    #: longest tokenised example; longer prompts keep their end.
    max_length: int = 256
    #: save a checkpoint every this many steps.
    save_steps: int = 50
    #: seeds data order and initialisation.
    seed: int = 0
    #: the agent's prompt template.
    template: str = DEFAULT_TEMPLATE
    #: show a progress bar.
    progress: bool = True

    def __post_init__(self) -> None:
        if self.method not in ("lora", "full"):
            raise ValueError(f"fine-tuning method {self.method!r} is unknown: use 'lora' or 'full'")
        for name in ("max_steps", "batch_size", "max_length", "save_steps", "lora_r", "lora_alpha"):
            if getattr(self, name) < 1:
                raise ValueError(f"fine-tuning {name} must be at least 1, got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise ValueError(f"fine-tuning learning_rate must be positive, got {self.learning_rate}")


def tokenize_example(tokenizer: Any, prompt: str, action: str, max_length: int) -> dict[str, list[int]]:
    """``input_ids`` of prompt + action, ``labels`` -100 except on the action's tokens.

    The action is appended with a leading space, as :class:`~teduo_gym.agents.LLMAgent` scores it; when the
    prompt is longer than ``max_length`` its beginning is cut.
    """
    prompt_ids = tokenizer(prompt, add_special_tokens=False).input_ids
    full_ids = tokenizer(prompt + " " + action, add_special_tokens=False).input_ids
    if full_ids[: len(prompt_ids)] != prompt_ids:  # the action merged with the prompt's last token
        raise ValueError(f"the prompt and action {action!r} do not tokenise apart; end the template with ':'")
    target = full_ids[len(prompt_ids) :]
    prompt_ids = prompt_ids[max(0, len(prompt_ids) + len(target) - max_length) :]
    return {"input_ids": prompt_ids + target, "labels": [-100] * len(prompt_ids) + target}


def collate_actions(rows: list[dict[str, list[int]]], pad_id: int, keep_logits: bool = True) -> dict[str, Any]:
    """Left-pad tokenised examples (:func:`tokenize_example`) into a batch whose action tokens all sit in its last
    columns, with explicit position ids (so padding changes nothing) and, with ``keep_logits`` (for models whose
    ``forward`` takes it), ``logits_to_keep``: the model then computes vocabulary logits only where a loss is taken,
    not at every prompt token (see :func:`action_loss`).

    Example:
        >>> batch = collate_actions([{"input_ids": [5, 6, 7], "labels": [-100, -100, 7]},
        ...                          {"input_ids": [8, 9], "labels": [-100, 9]}], pad_id=0)
        >>> batch["input_ids"].tolist(), batch["position_ids"].tolist(), batch["logits_to_keep"]
        ([[5, 6, 7], [0, 8, 9]], [[0, 1, 2], [0, 0, 1]], 2)
    """
    ids, mask, positions = pad_left([r["input_ids"] for r in rows], pad_id)
    labels = pad_left([r["labels"] for r in rows], -100)[0]
    batch: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "position_ids": positions, "labels": labels}
    if keep_logits:
        batch["logits_to_keep"] = _kept_logits(labels)
    return batch


def _kept_logits(labels: torch.Tensor) -> int:
    """How many last positions' logits a loss on ``labels`` (left-padded) reads: the position before each action
    token, and the last (which predicts nothing)."""
    columns = (labels != -100).any(dim=0).nonzero()
    return labels.shape[1] - int(columns[0]) + 1 if len(columns) else 1


def action_loss(outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None) -> torch.Tensor:
    """The cross-entropy of the action tokens of a batch made by :func:`collate_actions`, from its last logits (all
    a model that took ``logits_to_keep`` returns): the causal LM loss of Hugging Face's models (summed over action
    tokens, divided by their count, or by ``num_items_in_batch`` when Trainer counts them over accumulated batches
    and processes).

    Example:
        >>> from types import SimpleNamespace
        >>> logits = torch.zeros((1, 2, 4))  # keep 2: one action token
        >>> round(float(action_loss(SimpleNamespace(logits=logits), torch.tensor([[-100, -100, 3]]))), 4)
        1.3863
    """
    keep = _kept_logits(labels)
    logits = outputs.logits[:, -keep:-1].float()
    targets = labels[:, labels.shape[1] - keep + 1 :]
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100, reduction="sum"
    )
    count = num_items_in_batch if num_items_in_batch is not None else (targets != -100).sum()
    if isinstance(count, torch.Tensor):
        count = count.to(loss.device)
    return loss / count


def action_words(config: FinetuneConfig) -> tuple[str, ...]:
    """The action words the agent of ``config`` is saved with, in the environment's action order: its knowledge's
    (``env``), or ``action_words``; empty for ``free_text``.

    Example:
        >>> action_words(FinetuneConfig(Path("x.jsonl"), env="BabyAI-GoToLocal-v0"))[:3]
        ('left', 'right', 'forward')
        >>> action_words(FinetuneConfig(Path("x.jsonl"), action_words=("up", "down")))
        ('up', 'down')

    Raises:
        ValueError: none of them, or more than one, is given.
    """
    given = [name for name, value in (("env", config.env), ("action_words", config.action_words)) if value]
    if len(given) + config.free_text != 1:
        raise ValueError(
            f"FinetuneConfig needs exactly one of env (an environment id whose knowledge gives the action words), "
            f"action_words (in the environment's action order) or free_text=True; got {given or 'none'}"
            + (" and free_text" if config.free_text else "")
        )
    if config.env:
        return tuple(knowledge_for(config.env).action_words)
    return tuple(config.action_words or ())


def _check_resumable(run_file: Path, identity: dict[str, Any]) -> None:
    if run_file.exists():
        earlier = json.loads(run_file.read_text())
        if earlier != identity:
            raise ValueError(
                f"the checkpoints in {run_file.parent} were made by another run ({earlier}), not this one "
                f"({identity}): choose another --out or delete {run_file.parent}"
            )
    else:
        write_json(run_file, identity, indent=2)


def last_checkpoint(checkpoints: Path) -> str | None:
    """The last whole checkpoint under ``checkpoints``, or ``None``. Trainer writes a checkpoint's
    ``trainer_state.json`` last, so a checkpoint without a readable one was cut short (a kill while it was written):
    it is passed over with a warning, and written again when training reaches its step.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> for step in (2, 10):
        ...     (folder / f"checkpoint-{step}").mkdir()
        >>> _ = (folder / "checkpoint-2" / "trainer_state.json").write_text("{}")  # checkpoint-10 was cut short
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     Path(last_checkpoint(folder)).name
        'checkpoint-2'
        >>> "checkpoint-10 is incomplete" in str(caught[0].message)
        True
    """
    steps = {}
    for path in checkpoints.glob("checkpoint-*"):
        match = re.fullmatch(r"checkpoint-(\d+)", path.name)
        if match and path.is_dir():
            steps[int(match.group(1))] = path
    for step in sorted(steps, reverse=True):
        try:
            json.loads((steps[step] / "trainer_state.json").read_text())
            return str(steps[step])
        except (OSError, ValueError):
            warnings.warn(
                f"checkpoint {steps[step]} is incomplete (cut short while it was written): resuming from an earlier "
                "one",
                stacklevel=2,
            )
    return None


def whole_run_loss(log_history: list[dict[str, Any]], steps: int) -> float | None:
    """The mean training loss over steps 1 to ``steps``, from the per-step losses :func:`finetune` keeps in the
    trainer state (a resumed run's include the steps before the kill: they come back with the checkpoint); ``None``
    when a step's loss is not there (a checkpoint written before they were kept).

    Example:
        >>> whole_run_loss([{"step": 1, "step_loss": 2.0}, {"loss": 9.0, "step": 2}, {"step": 2, "step_loss": 1.0}], 2)
        1.5
        >>> whole_run_loss([{"step": 2, "step_loss": 1.0}], 2) is None
        True
    """
    losses = {h["step"]: h[_STEP_LOSS] for h in log_history if _STEP_LOSS in h}
    if any(step not in losses for step in range(1, steps + 1)):
        return None
    return sum(losses[step] for step in range(1, steps + 1)) / steps


def finetune(config: FinetuneConfig) -> Path:
    """Train, save the agent to ``config.out`` and a run record to ``config.out / "finetune.json"``.

    An interrupted run resumes from its last whole checkpoint (:func:`last_checkpoint`) when rerun with the same
    config; checkpoints of a different base model, method or data are refused with a clear error. The record's
    ``train_loss`` is the mean loss over every step of the run, those before a resume included
    (:func:`whole_run_loss`); its ``seconds`` and ``tokens_per_second`` are this call's. Launched on several
    processes, every process returns ``config.out`` once the first one has written it.

    Example:
        >>> config = FinetuneConfig(Path("runs/x/examples.jsonl"), Path("runs/x/agent"), env="BabyAI-GoToLocal-v0")
        >>> out = finetune(config)  # doctest: +SKIP
        >>> from teduo_gym.agents import LLMAgent
        >>> LLMAgent.from_pretrained(out).act(["go to the red ball"], ["ball: 1 left"])  # doctest: +SKIP

    Raises:
        ValueError: no env, action_words or free_text (:func:`action_words`), an example whose action is not one of
            the action words, or a free-text agent whose template lists ``{actions}``.
    """
    from peft import LoraConfig, get_peft_model
    from transformers import Trainer, TrainingArguments, set_seed

    from teduo_gym.llm import load_model

    words = action_words(config)
    if config.free_text and "{actions}" in config.template:
        raise ValueError("a free-text agent has no action words to list: give a template without {actions}")
    examples: list[ActionExample] = read_examples(config.data, words or None)
    model, tokenizer, name = load_model(config.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if config.method == "lora":
        set_seed(config.seed)  # the adapters' initialisation; Trainer seeds only later
        lora = LoraConfig(
            r=config.lora_r, lora_alpha=config.lora_alpha, target_modules="all-linear", task_type="CAUSAL_LM"
        )
        model = get_peft_model(model, lora)
        # "all-linear" became a set of module names, which peft saves in the order of string hashes (another in each
        # process): sorted, every run writes the same adapter_config.json
        adapter = model.peft_config["default"]
        if isinstance(adapter, LoraConfig) and isinstance(adapter.target_modules, (set, list)):
            adapter.target_modules = sorted(adapter.target_modules)
    agent = AgentConfig(words, config.template)
    rows = [tokenize_example(tokenizer, agent.prompt(e.goal, e.state), e.action, config.max_length) for e in examples]
    checkpoints = Path(config.out) / "checkpoints"
    identity = {"base": name, "method": config.method, "data": str(config.data), "examples": len(rows)}
    args = TrainingArguments(
        output_dir=str(checkpoints),
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        max_steps=config.max_steps,
        warmup_steps=min(10, config.max_steps // 10),
        lr_scheduler_type="constant_with_warmup",
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,
        logging_steps=max(1, min(10, config.max_steps // 10)),
        report_to=[],
        use_cpu=not torch.cuda.is_available(),
        seed=config.seed,
        disable_tqdm=not config.progress,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,  # every trainable weight (adapters, or all) gets a gradient each step
    )
    # The first process writes the run file, then the others read it (a no-op on one process).
    with args.main_process_first(local=False, desc="checking the checkpoints"):
        _check_resumable(checkpoints / _RUN_FILE, identity)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    collate = partial(
        collate_actions,
        pad_id=int(tokenizer.pad_token_id),
        keep_logits="logits_to_keep" in inspect.signature(base.forward).parameters,
    )

    class StepLossTrainer(Trainer):
        """Keeps each optimiser step's loss (the mean over processes) in its state, so that a checkpoint holds the
        losses of its steps and a resumed run reports the loss of all of them (see :func:`whole_run_loss`)."""

        def training_step(self, model: Any, inputs: Any, num_items_in_batch: Any = None) -> torch.Tensor:
            loss = super().training_step(model, inputs, num_items_in_batch)
            value = self.accelerator.gather(loss).mean().item()
            self.state.log_history.append({"step": self.state.global_step + 1, _STEP_LOSS: value})
            return loss

    trainer = StepLossTrainer(
        model=model,
        args=args,
        data_collator=collate,
        train_dataset=rows,
        compute_loss_func=action_loss,
    )
    last = last_checkpoint(checkpoints)
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=last)
    seconds = time.perf_counter() - start
    model.eval()
    # DDP keeps the replicas equal, so the first process saves; the others wait at the barrier that ends the block
    # (reached even when saving fails), so none returns before the agent is on disk.
    with args.main_process_first(local=False, desc="saving the agent"):
        if trainer.is_world_process_zero():
            save_agent(config.out, model, tokenizer, agent)
            steps_run = config.max_steps - (int(Path(last).name.split("-")[-1]) if last else 0)
            examples_per_step = config.batch_size * args.world_size
            tokens = sum(len(r["input_ids"]) for r in rows) * steps_run * examples_per_step / max(1, len(rows))
            write_record(
                Path(config.out) / "finetune.json",
                config,
                {
                    "base": name,
                    "examples": len(rows),
                    "processes": args.world_size,
                    "examples_per_step": examples_per_step,
                    "resumed_from": last,
                    "train_loss": whole_run_loss(trainer.state.log_history, trainer.state.global_step),
                    "loss_history": [h for h in trainer.state.log_history if "loss" in h],
                    "seconds": seconds,
                    "tokens_per_second": tokens / seconds if seconds > 0 else 0.0,
                    "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
                },
            )
    return Path(config.out)
