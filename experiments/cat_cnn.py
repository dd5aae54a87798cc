"""A small CNN for the cat / non-cat data under the honest protocol (see README, "Cat CNN").

Stage 1 (choose): for 5 seeds, train on 167 of the 209 training images and record the accuracy on the other
42 (a class-balanced validation split, fixed) after every epoch; the number of epochs E is the argmax of the
mean validation curve. Stage 2 (test once): for the same 5 seeds, train on all 209 images for E epochs and
score the 50 test images. Run: TINYGRAD_NP_DATA=... python -m experiments.cat_cnn [--max-epochs 25]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import tinygrad_np as tnp
from models.fashion.train import split_train_val


def cat_cnn(seed: int) -> tnp.Sequential:
    """(N, 3, 64, 64) -> logits (N, 2): three blocks conv 3×3 → BN → ReLU → max-pool 2, then a linear head."""
    rng = np.random.default_rng(seed)
    layers: list[tnp.Layer] = []
    c_in = 3
    for c in (8, 16, 32):
        layers += [
            tnp.Conv2d(c_in, c, 3, padding=1, bias=False, init="he", rng=rng, dtype=np.float32),
            tnp.BatchNorm2d(c, dtype=np.float32),
            tnp.ReLU(),
            tnp.MaxPool2d(2),
        ]
        c_in = c
    layers += [
        tnp.Flatten(),
        tnp.Dropout(0.3, rng=rng),
        tnp.Linear(32 * 8 * 8, 2, init="xavier", rng=rng, dtype=np.float32),
    ]
    return tnp.Sequential(*layers)


def run(x, y, epochs: int, seed: int, val=None) -> tuple[tnp.Sequential, tnp.History]:
    model = cat_cnn(seed)
    opt = tnp.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    history = tnp.fit(
        model,
        tnp.CrossEntropyLoss(),
        opt,
        x,
        y,
        epochs=epochs,
        batch_size=32,
        validation_data=val,
        rng=np.random.default_rng(seed),
        progress="none",
    )
    return model, history


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-epochs", type=int, default=25)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    data = tnp.datasets.load_dataset(dtype=np.float32)
    to_nchw = lambda im: (im.transpose(0, 3, 1, 2) / np.float32(255)).astype(np.float32)  # noqa: E731
    x, y = to_nchw(data.images_train), data.y_train.reshape(-1).astype(np.int64)
    xt, yt = to_nchw(data.images_test), data.y_test.reshape(-1).astype(np.int64)
    x_tr, y_tr, x_val, y_val = split_train_val(x, y, 42, seed=0)
    curves = []
    for seed in range(args.seeds):
        _, h = run(x_tr, y_tr, args.max_epochs, seed, (x_val, y_val))
        curves.append(h["val_accuracy"])
        print(
            f"choose: seed {seed} val accuracy by epoch {np.round(h['val_accuracy'], 3).tolist()}", flush=True
        )
    mean = np.mean(curves, axis=0)
    best = int(np.argmax(mean)) + 1
    print(f"chosen: {best} epochs (mean validation accuracy {mean[best - 1]:.4f})", flush=True)
    tests = []
    for seed in range(args.seeds):
        model, _ = run(x, y, best, seed)
        model.eval()
        acc = float(np.mean(np.argmax(model(xt), axis=1) == yt))
        tests.append(acc)
        print(f"test: seed {seed} accuracy {acc:.4f}", flush=True)
    print(
        json.dumps(
            {
                "epochs": best,
                "val_curve_mean": mean.round(4).tolist(),
                "test": tests,
                "test_mean": float(np.mean(tests)),
                "test_sd": float(np.std(tests, ddof=1)),
            }
        )
    )


if __name__ == "__main__":
    main()
