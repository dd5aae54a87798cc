"""Parameter groups (PyTorch's form), their checks, saving and resuming, and parity with torch.optim."""

from __future__ import annotations

import numpy as np
import pytest
from builders import small_binary_data, small_mlp

import tinygrad_np as tnp
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.optim.lr_scheduler import CosineWarmupLR, StepLR


def _params(seed: int = 0) -> tuple[list[Parameter], list[Parameter]]:
    """Two (3, 4) matrices and two (4,) vectors of float64 values drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal((3, 4))) for _ in range(2)], [
        Parameter(rng.standard_normal(4)) for _ in range(2)
    ]


def _grads(params: list[Parameter], rng: np.random.Generator) -> list[np.ndarray]:
    grads = [rng.standard_normal(p.shape) for p in params]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.copy()
    return grads


def test_groups_hold_every_setting_defaults_filled_in() -> None:
    mats, vecs = _params()
    opt = tnp.AdamW([{"params": mats, "weight_decay": 0.1}, {"params": vecs, "weight_decay": 0.0}],
                    lr=1e-3, betas=(0.9, 0.99))  # fmt: skip
    assert [dict(g) for g in opt.param_groups] == [
        {"params": tuple(mats), "lr": 1e-3, "betas": (0.9, 0.99), "eps": 1e-8, "weight_decay": 0.1},
        {"params": tuple(vecs), "lr": 1e-3, "betas": (0.9, 0.99), "eps": 1e-8, "weight_decay": 0.0},
    ]
    assert opt.params == mats + vecs
    assert opt.lr == 1e-3 and opt.betas == (0.9, 0.99)  # shared by both groups: readable as one value


def test_the_flat_form_is_one_group() -> None:
    mats, _ = _params()
    opt = tnp.SGD(mats, lr=0.1, momentum=0.9)
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["params"] == tuple(mats)
    opt.lr = 0.05
    assert opt.param_groups[0]["lr"] == 0.05
    opt.param_groups[0]["momentum"] = 0.5
    assert opt.momentum == 0.5


def test_opt_lr_sets_every_group_and_reads_only_a_shared_value() -> None:
    mats, vecs = _params()
    opt = tnp.SGD([{"params": mats}, {"params": vecs, "lr": 0.01}], lr=0.1)
    with pytest.raises(ValueError, match=r"^SGD: lr must be the same in every parameter group to be read as "
                       r"one value, got \[0.1, 0.01\] in its 2 groups; read opt.param_groups\[i\]\['lr'\]"):  # fmt: skip
        _ = opt.lr
    opt.lr = 0.2
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.2] and opt.lr == 0.2
    assert opt.weight_decay == 0.0


@pytest.mark.parametrize(
    "key, bad, error, match",
    [
        ("weight_decay", -1, ValueError, r"^AdamW: param_groups\[1\]\['weight_decay'\] must be a finite number"),
        ("betas", (1.0, 0.9), ValueError, r"^AdamW: param_groups\[1\]\['betas'\]\[0\] must be a finite number"),
        ("lr", float("nan"), ValueError, r"^AdamW: param_groups\[1\]\['lr'\] must be a finite number"),
        ("weight_decy", 0.1, KeyError, r"AdamW: param_groups\[1\]\['weight_decy'\] must be a setting of AdamW"),
        ("params", [], TypeError, r"^AdamW: param_groups\[1\]\['params'\] must stay as built"),
    ],
)
def test_a_group_setting_is_checked_when_set(key: str, bad: object, error: type, match: str) -> None:
    mats, vecs = _params()
    opt = tnp.AdamW([{"params": mats}, {"params": vecs, "weight_decay": 0.0}])
    before = dict(opt.param_groups[1])
    with pytest.raises(error, match=match):
        opt.param_groups[1][key] = bad
    assert dict(opt.param_groups[1]) == before
    with pytest.raises(KeyError, match=r"param_groups\[1\] must keep every key"):
        del opt.param_groups[1]["lr"]


def test_sgd_nesterov_rule_holds_per_group() -> None:
    mats, vecs = _params()
    opt = tnp.SGD([{"params": mats, "momentum": 0.9, "nesterov": True}, {"params": vecs}], lr=0.1)
    with pytest.raises(ValueError, match=r"^SGD: param_groups\[0\]\['nesterov'\] must come with momentum > 0"):
        opt.param_groups[0]["momentum"] = 0.0
    with pytest.raises(ValueError, match=r"^SGD: param_groups\[0\]\['nesterov'\] must come with momentum > 0"):
        opt.momentum = 0.0  # every group: the first one refuses, so none changes
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.0]
    with pytest.raises(ValueError, match=r"^SGD: param_groups\[1\]\['nesterov'\] must come with momentum > 0"):
        tnp.SGD([{"params": mats}, {"params": vecs, "nesterov": True}], lr=0.1)


@pytest.mark.parametrize(
    "groups, error, match",
    [
        ([{"params": "M"}, {"params": "M"}], ValueError, r"^SGD: params must hold each Parameter once"),
        ([{"params": "M", "momentum": 2.0}], ValueError, r"^SGD: param_groups\[0\]\['momentum'\] must be a finite"),
        ([{"params": "M", "betas": (0.9, 0.9)}], KeyError, r"param_groups\[0\]'s keys must be 'params' or settings"),
        ([{"lr": 0.1}], TypeError, r"^SGD: param_groups\[0\] must be a dict with a 'params' key"),
        (["M0", {"params": "V"}], TypeError, r"^SGD: params must be all Parameters or all parameter-group dicts"),
        ([{"params": [1.0]}], TypeError, r"^SGD: param_groups\[0\]\['params'\] item 0 must be a Parameter"),
        ([{"params": []}], ValueError, r"^SGD: params must hold at least one Parameter, got parameter groups without any"),
    ],
)  # fmt: skip
def test_bad_groups_are_clear_errors(groups: list, error: type, match: str) -> None:
    mats, vecs = _params()
    named = {"M": mats, "V": vecs, "M0": mats[0]}
    built = [
        named[g] if isinstance(g, str) else {k: named.get(v, v) if isinstance(v, str) else v for k, v in g.items()}
        for g in groups
    ]
    with pytest.raises(error, match=match):
        tnp.SGD(built, lr=0.1)


def test_add_param_group() -> None:
    mats, vecs = _params()
    opt = tnp.Adam(mats, lr=0.1)
    opt.add_param_group({"params": vecs, "lr": 0.01})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01] and opt.params == mats + vecs
    with pytest.raises(ValueError, match="each Parameter once"):
        opt.add_param_group({"params": [vecs[0]]})


# -- saving and resuming -----------------------------------------------------------------------------


def _two_group_adamw(seed: int = 0) -> tuple[tnp.AdamW, list[Parameter]]:
    mats, vecs = _params(seed)
    opt = tnp.AdamW([{"params": mats, "weight_decay": 0.1}, {"params": vecs, "weight_decay": 0.0, "lr": 2e-3}],
                    lr=1e-3, betas=(0.9, 0.99))  # fmt: skip
    return opt, mats + vecs


def test_state_dict_round_trip_with_groups_continues_exactly() -> None:
    rng = np.random.default_rng(1)
    opt, params = _two_group_adamw()
    for _ in range(3):
        _grads(params, rng)
        opt.step()
    state = opt.state_dict()
    assert state["groups/0/weight_decay"] == 0.1 and state["groups/1/n_params"] == 2 and "hparams/lr" not in state
    assert all(isinstance(v, np.ndarray) for v in state.values())
    twin, twin_params = _two_group_adamw(seed=5)
    for p, q in zip(params, twin_params, strict=True):
        q.data[...] = p.data
    twin.param_groups[0]["weight_decay"] = 0.3  # changed: the load gives the saved value back
    twin.load_state_dict(state)
    assert [dict(g) | {"params": None} for g in twin.param_groups] == [
        dict(g) | {"params": None} for g in opt.param_groups
    ]
    grads = [rng.standard_normal(p.shape) for p in params]
    for o, ps in ((opt, params), (twin, twin_params)):
        for p, g in zip(ps, grads, strict=True):
            p.grad = g.copy()
        o.step()
    for p, q in zip(params, twin_params, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"groups/1/n_params": np.array(3)}, ValueError, r"'groups/1/n_params' must be 2, group 1's parameter count"),
        ({"groups/1/weight_decay": np.array(-1.0)}, ValueError, r"groups/1/weight_decay must be a finite number"),
        ({"groups/1/lr": None}, KeyError, r"hyper-parameters must be"),
        ({"groups/2/lr": np.array(0.1)}, ValueError, r"parameter groups must be 2, as this optimiser's, got 3"),
        ({"hparams/lr": np.array(0.1)}, ValueError, r"parameter groups must be 2"),
    ],
)  # fmt: skip
def test_a_bad_group_state_changes_nothing(change: dict, error: type, match: str) -> None:
    opt, params = _two_group_adamw()
    _grads(params, np.random.default_rng(0))
    opt.step()
    state = dict(opt.state_dict())
    for k, v in change.items():
        if v is None:
            state.pop(k)
        else:
            state[k] = v
    fresh, _ = _two_group_adamw()
    with pytest.raises(error, match=match):
        fresh.load_state_dict(state)
    assert fresh.state == {} and [g["weight_decay"] for g in fresh.param_groups] == [0.1, 0.0]


def test_one_group_state_does_not_load_into_two_groups_and_back() -> None:
    mats, vecs = _params()
    one = tnp.SGD(mats + vecs, lr=0.1)
    two = tnp.SGD([{"params": mats}, {"params": vecs}], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter groups must be 2, as this optimiser's, got 1"):
        two.load_state_dict(one.state_dict())
    with pytest.raises(ValueError, match=r"parameter groups must be 1, as this optimiser's, got 2"):
        one.load_state_dict(two.state_dict())


def test_fit_checkpoint_and_resume_with_groups(tmp_path) -> None:
    """A fit interrupted after 3 of 6 epochs and resumed ends with the weights of an uninterrupted run."""
    x, y = small_binary_data()

    def run(epochs: int, resume: bool) -> tnp.Sequential:
        model = small_mlp(dropout=False)
        decay = [p for p in model.parameters() if p.data.ndim == 2]
        rest = [p for p in model.parameters() if p.data.ndim < 2]
        opt = tnp.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0, "lr": 5e-3}],
                        lr=1e-2)  # fmt: skip
        sched = StepLR(opt, step_size=2, gamma=0.5)
        tnp.fit(model, tnp.BCELoss(), opt, x, y, epochs=epochs, batch_size=30, rng=np.random.default_rng(0),
                scheduler=sched, checkpoint=tmp_path / "last.npz",
                resume_from=tmp_path / "last.npz" if resume else None, progress="none")  # fmt: skip
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([1e-2 * 0.5 ** (epochs // 2), 5e-3 * 0.5 ** (epochs // 2)])
        return model

    full = run(6, resume=False)
    (tmp_path / "last.npz").unlink()
    run(3, resume=False)
    resumed = run(6, resume=True)
    for k, v in full.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[k], v)


# -- schedules set every group's lr ------------------------------------------------------------------


def test_schedules_scale_each_group_from_its_own_base_lr() -> None:
    mats, vecs = _params()
    opt = tnp.SGD([{"params": mats}, {"params": vecs, "lr": 0.01}], lr=0.1)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.005]
    state = sched.state_dict()
    np.testing.assert_array_equal(state["base_lr"], [0.1, 0.01])
    other = tnp.SGD([{"params": mats}, {"params": vecs}], lr=1.0)
    again = StepLR(other, step_size=1, gamma=0.5)
    again.load_state_dict(state)
    assert [g["lr"] for g in other.param_groups] == [0.05, 0.005]
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict: 'base_lr' must hold 2 real number"):
        again.load_state_dict({"base_lr": np.array(0.1), "last_epoch": np.array(1)})


# -- PyTorch parity ----------------------------------------------------------------------------------


def _torch_run(torch, params, groups_of, make, steps: int, seed: int) -> list[np.ndarray]:
    tparams = [torch.nn.Parameter(torch.tensor(p.data.copy())) for p in params]
    topt = make(groups_of(tparams))
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        for tp, g in zip(tparams, [rng.standard_normal(p.shape) for p in params], strict=True):
            tp.grad = torch.tensor(g)
        topt.step()
    return [tp.detach().numpy() for tp in tparams]


def _our_run(params, groups_of, make, steps: int, seed: int) -> list[np.ndarray]:
    opt = make(groups_of(params))
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        _grads(params, rng)
        opt.step()
    return [p.data for p in params]


@pytest.mark.parametrize(
    "name, kwargs, groups",
    [
        ("AdamW", {"lr": 1e-2, "betas": (0.9, 0.99)}, [{"weight_decay": 0.1}, {"weight_decay": 0.0, "lr": 3e-3}]),
        ("Adam", {"lr": 1e-2}, [{"weight_decay": 0.01, "eps": 1e-6}, {"betas": (0.8, 0.9)}]),
        ("SGD", {"lr": 0.05}, [{"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, {"momentum": 0.5, "dampening": 0.2}]),
        ("SGD", {"lr": 0.05, "momentum": 0.9}, [{}, {"momentum": 0.0, "lr": 0.1}]),
    ],
)  # fmt: skip
def test_groups_match_torch_optim_in_float64(name: str, kwargs: dict, groups: list[dict]) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional")
    mats, vecs = _params(3)

    def groups_of(ps: list) -> list[dict]:
        return [{"params": ps[:2], **groups[0]}, {"params": ps[2:], **groups[1]}]

    theirs = _torch_run(torch, mats + vecs, groups_of, lambda g: getattr(torch.optim, name)(g, **kwargs), 8, 7)
    ours = _our_run(mats + vecs, groups_of, lambda g: getattr(tnp, name)(g, **kwargs), 8, 7)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_cosine_warmup_schedule_with_groups_matches_torch_lambda_lr() -> None:
    """The same nanoGPT schedule in PyTorch, as a LambdaLR of the ratio to each group's base lr."""
    torch = pytest.importorskip("torch", reason="PyTorch is optional")
    mats, vecs = _params()
    opt = tnp.AdamW([{"params": mats}, {"params": vecs, "lr": 5e-4}], lr=1e-3)
    sched = CosineWarmupLR(opt, warmup_steps=3, total_steps=10, min_lr=0.0)
    tparams = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    topt = torch.optim.AdamW([{"params": tparams[:1]}, {"params": tparams[1:], "lr": 5e-4}], lr=1e-3)
    factor = tnp.optim.cosine_warmup_lr
    tsched = torch.optim.lr_scheduler.LambdaLR(topt, lambda it: factor(it, 1.0, 0.0, 3, 10))
    for _ in range(14):
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([g["lr"] for g in topt.param_groups], rel=1e-12)
        sched.step()
        topt.step()
        tsched.step()
