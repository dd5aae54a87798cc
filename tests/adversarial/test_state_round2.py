"""Issue 18, second round (§4 accuracy with ignore_index, §5 state checked once or never): optimiser
hyper-parameters checked whenever set, schedules checked when built, callbacks reset by each fit().

Each case failed on main at 3b8539c.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import small_binary_data, small_mlp, tiny_data, tiny_model

import tinygrad_np as tnp
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LambdaLR, MultiStepLR, StepLR


def _sgd(**kw: object) -> tnp.SGD:
    return tnp.SGD([Parameter(np.array([1.0, 2.0]))], lr=0.1, **kw)  # type: ignore[arg-type]


def _adam(cls: type = tnp.Adam) -> tnp.Adam:
    return cls([Parameter(np.array([1.0, 2.0]))], lr=0.1)  # type: ignore[no-any-return]


# -- §5 optimiser settings, checked whenever set ------------------------------------------------------


@pytest.mark.parametrize(
    "name, bad, match",
    [
        ("weight_decay", -1, r"SGD: weight_decay must be a finite number in \[0, inf\], got -1"),
        ("weight_decay", math.nan, r"SGD: weight_decay must be a finite number"),
        ("momentum", 1.5, r"SGD: momentum must be a finite number in \[0, 1\], got 1.5"),
        ("momentum", math.nan, r"SGD: momentum must be a finite number"),
        ("momentum", -0.1, r"SGD: momentum must be a finite number"),
        ("dampening", 2.0, r"SGD: dampening must be a finite number in \[0, 1\]"),
    ],
)
def test_sgd_settings_are_checked_when_set(name: str, bad: float, match: str) -> None:
    opt = _sgd(momentum=0.5)
    before = getattr(opt, name)
    with pytest.raises(ValueError, match=match):
        setattr(opt, name, bad)
    assert getattr(opt, name) == before


def test_sgd_nesterov_checked_when_set() -> None:
    opt = _sgd()
    with pytest.raises(ValueError, match=r"SGD: nesterov must come with momentum > 0 and dampening = 0"):
        opt.nesterov = True
    assert opt.nesterov is False
    with pytest.raises(TypeError, match=r"SGD: nesterov must be a bool, got yes"):
        opt.nesterov = "yes"  # type: ignore[assignment]
    nes = _sgd(momentum=0.9, nesterov=True)
    with pytest.raises(ValueError, match=r"SGD: nesterov must come with momentum > 0 and dampening = 0, got momentum 0.0"):
        nes.momentum = 0.0
    assert nes.momentum == 0.9


@pytest.mark.parametrize("cls", [tnp.Adam, tnp.AdamW])
@pytest.mark.parametrize(
    "name, bad, error, match",
    [
        ("eps", -1e-3, ValueError, r"eps must be a finite number in \[0, inf\], got -0.001"),
        ("eps", math.inf, ValueError, r"eps must be a finite number"),
        ("weight_decay", -1, ValueError, r"weight_decay must be a finite number in \[0, inf\]"),
        ("betas", (1, 0.999), ValueError, r"betas\[0\] must be a finite number in \[0, 1\), got 1"),
        ("betas", (0.9, math.nan), ValueError, r"betas\[1\] must be a finite number"),
        ("betas", 0.9, TypeError, r"betas must be a pair \(beta1, beta2\), got 0.9"),
    ],
)
def test_adam_settings_are_checked_when_set(cls: type, name: str, bad: object, error: type, match: str) -> None:
    opt = _adam(cls)
    before = getattr(opt, name)
    with pytest.raises(error, match=f"^{cls.__name__}: {match}"):
        setattr(opt, name, bad)
    assert getattr(opt, name) == before


def test_a_checked_setting_is_stored_converted() -> None:
    opt = _adam()
    opt.betas = [0.8, np.float32(0.9)]  # type: ignore[assignment]
    assert opt.betas == (0.8, pytest.approx(0.9)) and isinstance(opt.betas, tuple)
    opt.eps = np.float64(1e-6)
    assert type(opt.eps) is float


def test_negative_weight_decay_set_later_no_longer_climbs_the_loss() -> None:
    """The issue's case: o.weight_decay = -1 made the loss climb from 0.90 to 7.09 without a word."""
    x, y = small_binary_data()
    model = small_mlp(dropout=False)
    opt = tnp.SGD(model.parameters(), lr=0.1, weight_decay=1e-3)
    with pytest.raises(ValueError, match="weight_decay must be"):
        opt.weight_decay = -1
    history = tnp.fit(model, tnp.BCELoss(), opt, x, y, epochs=5, progress="none")
    assert history["loss"][-1] < history["loss"][0]


# -- §5 schedules, checked when built --------------------------------------------------------------


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda o: StepLR(o, step_size=2, gamma=-1), ValueError, r"^StepLR: gamma must be a finite number in \[0, inf\], got -1"),
        (lambda o: StepLR(o, step_size=2, gamma=math.nan), ValueError, r"^StepLR: gamma must be a finite number"),
        (lambda o: StepLR(o, step_size=2.5), TypeError, r"^StepLR: step_size must be an integer"),
        (lambda o: ExponentialLR(o, gamma=math.nan), ValueError, r"^ExponentialLR: gamma must be a finite number"),
        (lambda o: ExponentialLR(o, gamma=-0.5), ValueError, r"^ExponentialLR: gamma must be a finite number"),
        (lambda o: MultiStepLR(o, [2, 4], gamma=math.inf), ValueError, r"^MultiStepLR: gamma must be a finite number"),
        (lambda o: MultiStepLR(o, [2, 4.5]), TypeError, r"^MultiStepLR: milestones\[1\] must be an integer"),
        (lambda o: CosineAnnealingLR(o, T_max=2.5), TypeError, r"^CosineAnnealingLR: T_max must be an integer"),
        (lambda o: CosineAnnealingLR(o, T_max=4, eta_min=-1), ValueError, r"^CosineAnnealingLR: eta_min must be a finite number"),
        (lambda o: CosineAnnealingLR(o, T_max=4, eta_min=math.nan), ValueError, r"^CosineAnnealingLR: eta_min must be a finite number"),
    ],
)  # fmt: skip
def test_schedules_check_their_settings_when_built(build, error: type, match: str) -> None:
    opt = _sgd()
    with pytest.raises(error, match=match):
        build(opt)
    assert opt.lr == 0.1  # untouched


def test_lambda_lr_returning_a_string_names_lambda_lr_and_the_value() -> None:
    opt = _sgd()
    with pytest.raises(TypeError, match=r"^LambdaLR: lr_lambda\(0\) must return a real number, got 'x'"):
        LambdaLR(opt, lambda e: "x")
    sched = LambdaLR(opt, lambda e: 1.0 if e < 2 else math.nan)
    sched.step()
    with pytest.raises(ValueError, match=r"^LambdaLR: lr_lambda\(2\) must return a finite number in \[0, inf\], got nan"):
        sched.step()


def test_fit_rejects_a_scheduler_of_another_optimizer() -> None:
    x, y = tiny_data()
    model = tiny_model()
    opt = tnp.SGD(model.parameters(), lr=0.1)
    other = tnp.SGD(tiny_model(seed=1).parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"^fit: scheduler must schedule fit's optimizer"):
        tnp.fit(model, tnp.BCELoss(), opt, x, y, epochs=3, scheduler=StepLR(other, 1, 0.5), progress="none")
    assert other.lr == 0.1


# -- §5 callbacks start afresh in every fit() --------------------------------------------------------


def _two_fits(callback: tnp.Callback, lrs: tuple[float, float] = (1e-2, 1e-2)) -> list[tuple[tnp.Sequential, tnp.History]]:
    """Two fits of 6 epochs, with the same callback, of two models: (model, history) each."""
    x, y = small_binary_data()
    val = small_binary_data(seed=5)
    out = []
    for seed, lr in zip((0, 1), lrs, strict=True):
        model = small_mlp(seed=seed, dropout=False)
        opt = tnp.Adam(model.parameters(), lr=lr)
        history = tnp.fit(model, tnp.BCELoss(), opt, x, y, epochs=6, validation_data=val,
                          callbacks=[callback], progress="none")  # fmt: skip
        out.append((model, history))
    return out


def test_early_stopping_reused_in_a_second_fit_starts_afresh() -> None:
    stop = tnp.EarlyStopping("val_loss", patience=2)
    (_, first), (_, second) = _two_fits(stop)
    assert len(first["loss"]) == 6 and len(second["loss"]) == 6  # both runs improve every epoch
    assert second.stop_reason != "early_stopping"


def test_model_checkpoint_best_only_reused_in_a_second_fit_saves_again(tmp_path) -> None:
    path = tmp_path / "best.npz"
    ckpt = tnp.ModelCheckpoint(path, save_best_only=True)
    _, (second, _) = _two_fits(ckpt, lrs=(1e-2, 0.0))  # the second run never beats the first run's best
    saved = tnp.load_checkpoint(path)
    assert int(saved["epoch"]) == 1 and ckpt.saved_epoch == 1  # its first epoch is its best
    for k, v in second.state_dict().items():
        np.testing.assert_array_equal(saved[f"model/{k}"], v)


# -- §4 accuracy and ignore_index ---------------------------------------------------------------------


def _ce_data() -> tuple[np.ndarray, np.ndarray]:
    x = np.eye(8, 3) * 5.0 + np.arange(24).reshape(8, 3) * 1e-3
    y = np.array([0, 1, 2, 0, 1, 2, 0, -100])
    return x, y


def test_fit_accuracy_leaves_out_rows_at_ignore_index() -> None:
    """Logits fixed by an untrainable identity model: 5 of the 7 counted rows are right."""
    x, y = _ce_data()
    model = tnp.Sequential(tnp.Linear(3, 3, bias=False))
    model[0].weight.data[...] = np.eye(3)
    pred = np.argmax(x, axis=1)
    counted = y != -100
    right = int(np.sum(pred[counted] == y[counted]))
    opt = tnp.SGD(model.parameters(), lr=0.0)
    history = tnp.fit(model, tnp.CrossEntropyLoss(), opt, x, y, epochs=1, validation_data=(x, y),
                      progress="none")  # fmt: skip
    assert history["accuracy"] == [pytest.approx(right / 7)]
    assert history["val_accuracy"] == [pytest.approx(right / 7)]


def test_fit_with_every_target_ignored_says_there_is_nothing_to_learn() -> None:
    x, _ = _ce_data()
    y = np.full(8, -100)
    model = tnp.Sequential(tnp.Linear(3, 3))
    opt = tnp.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"^fit: targets must .*ignore_index.*nothing to learn") as e:
        tnp.fit(model, tnp.CrossEntropyLoss(), opt, x, y, epochs=1, progress="none")
    assert "learning rate" not in str(e.value)


def test_a_mini_batch_whose_every_target_is_ignored_is_not_divergence() -> None:
    """Its mean loss is NaN (as PyTorch's) and its gradient zero: the epoch's loss and accuracy are
    over the rows that count, and training goes on."""
    x, y = _ce_data()
    y = np.array([0, 1, 2, 0, 1, 2, -100, -100])  # the last batch of two: nothing counts
    model = tnp.Sequential(tnp.Linear(3, 3))
    opt = tnp.SGD(model.parameters(), lr=0.1)
    history = tnp.fit(model, tnp.CrossEntropyLoss(), opt, x, y, epochs=3, batch_size=2, shuffle=False,
                      progress="none")  # fmt: skip
    assert len(history["loss"]) == 3 and all(math.isfinite(v) for v in history["loss"])
