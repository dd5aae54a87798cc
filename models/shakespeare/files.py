"""The GPT's files, plain ``.npz`` arrays without pickle.

weights.npz (``train`` writes it; ``sample`` and ``evaluate`` need nothing else):

    format          "tinygrad_np.gpt/1"
    config/<name>   GPTConfig's integers (vocab_size, block_size, n_layer, n_head, n_embd)
    vocab           the characters, token i being vocab[i] (a 0-d unicode array)
    model/<key>     the state dict, the tied weight once (as Module.save writes it): lm_head.weight
                    IS wte.weight, so model/tied/lm_head.weight holds the name "wte.weight"

checkpoint.npz (``train --checkpoint``; the library's checkpoint format, see tinygrad_np/train/checkpoint.py):
``model/``, ``optimizer/`` (AdamW's state_dict: its groups and moments), ``iteration``, ``rng/train`` and
``rng/eval`` (the batch generators), ``history/loss``, ``history/evals`` (step, train, val rows),
``seconds``, and ``settings`` (the model and training configs and dtype as JSON) and ``vocab``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from tinygrad_np.nn.state_dict import file_arrays, untied
from tinygrad_np.serialization import load, save, split
from tinygrad_np.train.checkpoint import generator_from_state, generator_state
from tinygrad_np.train.checkpoint import load_checkpoint as _load_checkpoint
from tinygrad_np.train.checkpoint import save_checkpoint as _save_checkpoint

from .model import GPT, GPTConfig
from .train import Run, TrainConfig

FORMAT = "tinygrad_np.gpt/1"


def save_weights(model: GPT, vocab: str, path: str | os.PathLike[str]) -> None:
    """Write the weights with the model's config and vocabulary (atomically)."""
    arrays: dict[str, Any] = {"format": np.array(FORMAT), "vocab": np.array(vocab)}
    arrays |= {f"config/{k}": np.array(v) for k, v in model.config.as_dict().items()}
    arrays |= {f"model/{k}": v for k, v in file_arrays(model).items()}
    save(arrays, path)


def load_weights(path: str | os.PathLike[str]) -> tuple[GPT, str]:
    """(the model, its vocabulary) from a file written by :func:`save_weights`."""
    who = os.fspath(path)
    arrays = load(path)
    found = str(arrays["format"]) if "format" in arrays else "no format entry"
    if found != FORMAT:
        raise ValueError(
            f"{who}: the file must be GPT weights written by `python -m models.shakespeare train` "
            f"(format {FORMAT!r}), got {found!r}"
        )
    config = GPTConfig(**{k: int(v) for k, v in split(arrays, "config").items()})
    vocab = str(arrays["vocab"])
    if len(vocab) != config.vocab_size:
        raise ValueError(
            f"{who}: the vocabulary must have vocab_size={config.vocab_size} characters, got {len(vocab)}"
        )
    state = split(arrays, "model")
    model = GPT(config, rng=0, dtype=state["wte.weight"].dtype)
    model.load_state_dict(untied(state))  # also a full state dict (PyTorch's)
    return model.eval(), vocab


def _settings(run_or_cfg: Any, config: GPTConfig, dtype: Any) -> dict[str, Any]:
    cfg = asdict(run_or_cfg)
    return {"model": config.as_dict(), "train": cfg, "dtype": str(np.dtype(dtype))}


def save_checkpoint(run: Run, path: str | os.PathLike[str]) -> None:
    """Write everything :func:`load_run` needs to continue ``run`` exactly."""
    model = run.model
    arrays: dict[str, np.ndarray] = {f"model/{k}": v for k, v in file_arrays(model).items()}
    arrays |= {f"optimizer/{k}": v for k, v in run.optimizer.state_dict().items()}
    settings = _settings(run.cfg, model.config, model.wte.weight.dtype)
    arrays |= {
        "settings": np.array(json.dumps(settings)),
        "vocab": np.array(run.vocab),
        "iteration": np.array(run.iteration),
        "rng/train": generator_state(run.train_rng),
        "rng/eval": generator_state(run.eval_rng),
        "history/loss": np.array(run.losses, dtype=np.float64),
        "history/evals": np.array(run.evals, dtype=np.float64).reshape(-1, 3),
        "seconds": np.array(run.seconds),
    }
    _save_checkpoint(path, arrays)


def load_run(path: str | os.PathLike[str], model: GPT, cfg: TrainConfig, vocab: str) -> Run:
    """The run saved in ``path``, continued into ``model`` (built with this command's settings, which
    must be the checkpoint's; only ``iterations`` may grow, the learning-rate schedule staying the
    checkpoint's). ValueError naming what differs."""
    who = os.fspath(path)
    arrays = _load_checkpoint(path)
    if "settings" not in arrays or "iteration" not in arrays:
        raise ValueError(
            f"{who}: the checkpoint must be one written by the shakespeare train command, got another"
        )
    saved = json.loads(str(arrays["settings"]))
    done = int(arrays["iteration"])
    given = _settings(cfg, model.config, model.wte.weight.dtype)
    saved_iters = saved["train"].pop("iterations")
    decay = saved["train"].pop("lr_decay_iters")  # the schedule of the run continued, kept
    for key in ("iterations", "lr_decay_iters"):
        given["train"].pop(key)
    for part in ("model", "train", "dtype"):
        if saved[part] != given[part]:
            raise ValueError(
                f"{who}: the settings must be the checkpoint's to continue it ({part}: {saved[part]}), got "
                f"{given[part]}; run the same command as the run that wrote it"
            )
    if str(arrays["vocab"]) != vocab:
        raise ValueError(f"{who}: the text's vocabulary must be the checkpoint's, got another text (--data)")
    if cfg.iterations <= done:
        raise ValueError(
            f"{who}: --iterations must be more than the {done} steps the checkpoint has done (it counts the "
            f"total; the run it continues had {saved_iters}), got {cfg.iterations}"
        )
    model.load_state_dict(untied(split(arrays, "model")))
    run = Run.start(model, replace(cfg, lr_decay_iters=decay), vocab)
    run.optimizer.load_state_dict(split(arrays, "optimizer"))
    run.train_rng = generator_from_state(arrays["rng/train"], f"{who}: rng/train")
    run.eval_rng = generator_from_state(arrays["rng/eval"], f"{who}: rng/eval")
    run.iteration = done
    run.losses = [float(v) for v in arrays["history/loss"]]
    run.evals = [(int(s), float(t), float(v)) for s, t, v in arrays["history/evals"]]
    run.seconds = float(arrays["seconds"])
    return run


__all__ = ["FORMAT", "load_run", "load_weights", "save_checkpoint", "save_weights"]
