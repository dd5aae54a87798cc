import math

import numpy as np
import pytest

from tinygrad_np.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    MultiStepLR,
    StepLR,
)


class _Opt:
    """Any object with a mutable .lr can be scheduled."""

    def __init__(self, lr: float) -> None:
        self.lr = lr


def _run(sched, opt, n):
    """lr used in each of n epochs, stepping at the end of each, as fit() does."""
    seen = []
    for _ in range(n):
        seen.append(opt.lr)
        sched.step()
    return seen


def test_step_decay_by_hand():
    opt = _Opt(0.1)
    lrs = _run(StepLR(opt, step_size=3, gamma=0.5), opt, 8)
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])


def test_multistep_and_exponential():
    opt = _Opt(1.0)
    assert _run(MultiStepLR(opt, [4, 2], gamma=0.1), opt, 5) == pytest.approx([1, 1, 0.1, 0.1, 0.01])
    opt = _Opt(2.0)
    assert _run(ExponentialLR(opt, 0.5), opt, 4) == pytest.approx([2, 1, 0.5, 0.25])


def test_cosine_by_hand():
    opt = _Opt(1.0)
    lrs = _run(CosineAnnealingLR(opt, T_max=4, eta_min=0.2), opt, 7)
    expected = [0.2 + 0.8 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)] + [0.2, 0.2]
    assert lrs == pytest.approx(expected)
    assert lrs[2] == pytest.approx(0.6)  # halfway: midpoint of 1.0 and 0.2
    assert np.all(np.diff(lrs) <= 1e-15)  # never rises again after T_max


def test_lambda_warmup():
    opt = _Opt(0.3)
    lrs = _run(LambdaLR(opt, lambda e: min(1.0, (e + 1) / 3)), opt, 5)
    assert lrs == pytest.approx([0.1, 0.2, 0.3, 0.3, 0.3])


def test_state_dict_resumes_the_same_sequence():
    opt = _Opt(0.1)
    sched = CosineAnnealingLR(opt, T_max=10)
    full = _run(sched, opt, 10)

    opt1 = _Opt(0.1)
    s1 = CosineAnnealingLR(opt1, T_max=10)
    first = _run(s1, opt1, 4)
    state = s1.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())

    opt2 = _Opt(123.0)  # a fresh optimiser with another lr: the state restores base_lr too
    s2 = CosineAnnealingLR(opt2, T_max=10)
    s2.load_state_dict(state)
    assert opt2.lr == pytest.approx(full[4])
    assert first + _run(s2, opt2, 6) == pytest.approx(full)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"^StepLR: step_size must be >= 1, got 0$"):
        StepLR(_Opt(0.1), step_size=0)
    with pytest.raises(ValueError, match=r"^CosineAnnealingLR: T_max must be >= 1, got 0$"):
        CosineAnnealingLR(_Opt(0.1), T_max=0)
    with pytest.raises(
        TypeError,
        match=r"^StepLR: optimizer must have an \.lr attribute to schedule, got an object of type object$",
    ):
        StepLR(object(), step_size=1)
    with pytest.raises(
        KeyError,
        match=r"StepLR\.load_state_dict: state must have the keys 'base_lr' and 'last_epoch', got \['last_epoch'\] missing",
    ):
        StepLR(_Opt(0.1), step_size=1).load_state_dict({"base_lr": np.array(0.1)})


@pytest.mark.parametrize(
    "ours, theirs, kwargs",
    [
        (StepLR, "StepLR", {"step_size": 3, "gamma": 0.5}),
        (MultiStepLR, "MultiStepLR", {"milestones": [2, 5], "gamma": 0.3}),
        (ExponentialLR, "ExponentialLR", {"gamma": 0.9}),
        (CosineAnnealingLR, "CosineAnnealingLR", {"T_max": 9, "eta_min": 0.01}),
    ],
)
def test_matches_torch_lr_scheduler(ours, theirs, kwargs):
    torch = pytest.importorskip("torch", reason="PyTorch is optional")
    opt = _Opt(0.2)
    lrs = _run(ours(opt, **kwargs), opt, 10)
    topt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.2)
    sched = getattr(torch.optim.lr_scheduler, theirs)(topt, **kwargs)
    expected = []
    for _ in range(10):
        expected.append(topt.param_groups[0]["lr"])
        topt.step()
        sched.step()
    assert lrs == pytest.approx(expected, rel=1e-12)


# -- nanoGPT's cosine schedule with warm-up ----------------------------------------------------------


def _nanogpt_get_lr(it, learning_rate, min_lr, warmup_iters, lr_decay_iters):
    """nanoGPT's train.py get_lr(it) (karpathy/nanoGPT, master), its globals made arguments."""
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


@pytest.mark.parametrize("warmup, total", [(100, 2000), (0, 5), (3, 4), (10, 50)])
def test_cosine_warmup_matches_nanogpt_at_every_step(warmup: int, total: int) -> None:
    from tinygrad_np.optim.lr_scheduler import CosineWarmupLR, cosine_warmup_lr

    opt = _Opt(1e-3)
    sched = CosineWarmupLR(opt, warmup_steps=warmup, total_steps=total, min_lr=1e-4)
    seen = _run(sched, opt, total + 20)
    expected = [_nanogpt_get_lr(it, 1e-3, 1e-4, warmup, total) for it in range(total + 20)]
    assert seen == expected  # the same arithmetic: equal, not approximately
    assert [cosine_warmup_lr(it, 1e-3, 1e-4, warmup, total) for it in range(total + 20)] == expected
    assert seen[-1] == 1e-4 and max(seen) <= 1e-3


def test_cosine_warmup_resumes_and_checks_its_settings() -> None:
    from tinygrad_np.optim.lr_scheduler import CosineWarmupLR

    opt = _Opt(1.0)
    full = _run(CosineWarmupLR(opt, 3, 10), opt, 12)
    first = CosineWarmupLR(opt := _Opt(1.0), 3, 10)
    head = _run(first, opt, 5)
    again = CosineWarmupLR(opt2 := _Opt(7.0), 3, 10)
    again.load_state_dict(first.state_dict())
    assert head + _run(again, opt2, 7) == full
    with pytest.raises(ValueError, match=r"^CosineWarmupLR: total_steps must be >= 4, got 3"):
        CosineWarmupLR(_Opt(1.0), 3, 3)
    with pytest.raises(TypeError, match=r"^CosineWarmupLR: warmup_steps must be an integer >= 0, got 2.5"):
        CosineWarmupLR(_Opt(1.0), 2.5, 10)
    with pytest.raises(ValueError, match=r"^CosineWarmupLR: min_lr must be a finite number in \[0, inf\]"):
        CosineWarmupLR(_Opt(1.0), 3, 10, min_lr=-1.0)
