"""One epoch of the Fashion-MNIST CNN, tinygrad_np against PyTorch: ``python -m benchmarks.fashion_epoch``.

Each run is a fresh process (so its peak RSS is its own) that builds ``models.fashion.model.cnn()``
(channels 32, 64, BatchNorm; PyTorch's twin from the same weights), then times one shuffled pass over
the training images at ``--batch`` (128, the trainer's default) with Adam (lr 2e-3): each framework's
own data loader (``tnp.data.DataLoader`` / ``torch.utils.data.DataLoader``), forward, loss, backward
and the optimiser step. The images are Fashion-MNIST's 60,000 training images when
``$TINYGRAD_NP_DATA`` (or ``--data``) has them, else as many random ones. Runs alternate, tinygrad_np
first, ``--repeats`` times; the table gives the median wall and CPU time per epoch, their ratios to
PyTorch (target: <= 1.0) and the peak RSS.

    python -m benchmarks.fashion_epoch                      # 2 repeats: about 4 minutes on 2 cores
    python -m benchmarks.fashion_epoch --limit 6000 --repeats 1   # a quick look
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

from .harness import fmt_time, markdown_table
from .implementations import blas_threads, torch_available
from .memory import peak_rss_mib

FRAMEWORKS = ("tinygrad_np", "PyTorch")


def _images(data: str | None, limit: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(x (N, 1, 28, 28) float32, y (N,) int64, where they came from)."""
    try:
        from tinygrad_np.data.datasets import load_fashion_mnist

        d = load_fashion_mnist(data, download=False)
        return d.x_train[:limit], d.y_train[:limit], f"Fashion-MNIST ({d.source})"
    except FileNotFoundError:  # absent; a corrupt or wrong file is an error, not a reason for random images
        rng = np.random.default_rng(0)
        x = rng.random((min(limit, 60000), 1, 28, 28), dtype=np.float32)
        return x, rng.integers(0, 10, len(x)), "random images (Fashion-MNIST not found)"


def _ours(x: np.ndarray, y: np.ndarray, batch: int) -> float:
    import tinygrad_np as tnp
    from models.fashion.model import cnn

    model = cnn(seed=0)
    loss_fn, opt = tnp.CrossEntropyLoss(), tnp.Adam(model.parameters(), lr=2e-3)
    loader = tnp.data.DataLoader(tnp.data.TensorDataset(x, y), batch_size=batch, shuffle=True,
                                 rng=np.random.default_rng(0))  # fmt: skip
    model.train()
    loss = 0.0
    for xb, yb in loader:
        loss = float(loss_fn(model(xb), yb))
        model.backward(loss_fn.backward())
        opt.step()
    return loss


def _theirs(x: np.ndarray, y: np.ndarray, batch: int) -> float:
    import torch

    from models.fashion.model import cnn

    from .conv_layers import fashion_twin

    torch.set_num_threads(blas_threads())
    torch.manual_seed(0)
    model = fashion_twin(cnn(seed=0).state_dict())
    loss_fn, opt = torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=2e-3)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    model.train()
    loss = 0.0
    for xb, yb in torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True):
        opt.zero_grad()
        out = loss_fn(model(xb), yb)
        out.backward()
        opt.step()
        loss = float(out.item())
    return loss


def child(framework: str, data: str | None, limit: int, batch: int) -> dict[str, Any]:
    """In a fresh process: one epoch; its wall and CPU seconds, final loss and peak RSS."""
    x, y, source = _images(data, limit)
    run = _ours if framework == "tinygrad_np" else _theirs
    wall, cpu = time.perf_counter(), time.process_time()
    loss = run(x, y, batch)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "loss": loss, "peak_rss_mib": peak_rss_mib(), "images": len(x),
            "source": source}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fashion_epoch", description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--limit", type=int, default=60000, help="training images per epoch (default: all)")
    p.add_argument("--data", help="the folder holding fashion-mnist/ (default: $TINYGRAD_NP_DATA)")
    p.add_argument("--child", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.child, a.data, a.limit, a.batch)))
        return {}
    frameworks = FRAMEWORKS if torch_available() else FRAMEWORKS[:1]
    runs: dict[str, list[dict[str, Any]]] = {f: [] for f in frameworks}
    for _ in range(a.repeats):
        for fw in frameworks:
            cmd = [sys.executable, "-m", "benchmarks.fashion_epoch", "--child", fw, "--batch", str(a.batch),
                   "--limit", str(a.limit)] + (["--data", a.data] if a.data else [])  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs[fw].append(json.loads(done.stdout))
    med = {f: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu")} for f, rs in runs.items()}
    ref = med.get("PyTorch")
    rows = []
    for fw, rs in runs.items():
        ratio = [f"{med[fw][k] / ref[k]:.2f}" for k in ("wall", "cpu")] if ref else ["", ""]
        rss = max(r["peak_rss_mib"] for r in rs)
        rows.append([fw, fmt_time(med[fw]["wall"]), fmt_time(med[fw]["cpu"]), *ratio, f"{rss:.0f} MiB",
                     f"{rs[-1]['loss']:.4f}"])  # fmt: skip
    first = runs[frameworks[0]][0]
    print(f"### One epoch of the Fashion CNN: {first['images']} {first['source']}, batch {a.batch}, "
          f"{blas_threads()} BLAS threads, {a.repeats} runs each (fresh processes, alternating)")  # fmt: skip
    print()
    header = ["trainer", "median wall", "median CPU", "wall / PyTorch", "CPU / PyTorch", "peak RSS"]
    header.append("last loss")
    print(markdown_table(header, rows) + "\n")
    return {"runs": runs, "medians": med}


if __name__ == "__main__":
    main()
