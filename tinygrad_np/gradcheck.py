"""gradcheck: compare analytic gradients with central differences, in float64, on copies.

It checks a function of Tensors (as ``torch.autograd.gradcheck`` does) or a layer, model or loss::

    tnp.gradcheck(lambda a, b: (a * b).sum(), a, b)      # or inputs=(a, b), or (a, b) positionally
    tnp.gradcheck(layer, x)                              # every parameter and the input
    tnp.gradcheck(model, x, target, loss_fn)
    tnp.gradcheck(loss, pred, target)

A report is truthy only when every check passed (``assert tnp.gradcheck(layer, x)``); unlike PyTorch's
it does not raise, it says what failed (``print(report)``). A missing gradient (``grad is None``), a
gradient of the wrong shape or dtype, or a NaN / infinite gradient is a failure (relative error
``inf``), never a silent 0. Random draws are fixed: every layer's generator, and the shared one of
``tnp.manual_seed``, is put back to the same state before each evaluation, so Dropout in training mode
is checked with one mask; the caller's generators are left as they were.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd.engine import topological_order
from .autograd.grad_mode import no_grad
from .autograd.tensor import Tensor
from .central_differences import FixedDraws, GradcheckReport, generators_of, numeric_grad, record
from .nn.losses import Loss
from .nn.module import Module
from .random import default_generator
from .validation import fail

__all__ = ["GradcheckReport", "gradcheck"]


def gradcheck(
    fn: Module | Loss | Callable[..., Any],
    *args: Any,
    inputs: Any = None,
    target: Any = None,
    loss_fn: Loss | None = None,
    eps: float = 1e-6,
    seed: int = 0,
) -> GradcheckReport:
    """Check ``fn``'s backward against central differences, in float64, on copies.

    - A **function** ``fn(*inputs)`` returning a Tensor (or a tuple of Tensors): the inputs come after
      ``fn`` or as ``inputs=(a, b)`` (one tuple positionally works too, as in PyTorch). Each
      floating-point ndarray and each Tensor with ``requires_grad=True`` is checked: ``fn`` receives a
      float64 copy of it as a Tensor that requires grad. Anything else (an integer array, a number, a
      Tensor without grad, None) is passed as it is, a constant. The objective is the output itself
      when it is 0-d (a scalar), else ``sum(out * R)`` for a fixed random R (summed over the outputs).
      Tensors ``fn`` uses from elsewhere (a layer's parameters) are not checked, and keep their
      ``.grad``: to check a model's parameters, pass the model.
    - A **layer or model** (``fn`` a Module; ``gradcheck(model, x)``): a float64 deep copy is checked,
      every parameter and the input. Without ``loss_fn`` the objective is ``sum(model(x) * R)`` for a
      fixed random R (backward receives R as grad_out); with ``target`` and ``loss_fn`` it is
      ``loss_fn(model(x), target)``.
    - A **loss** (``gradcheck(loss, pred, target)``): the objective is ``loss(pred, target)``; only
      ``"input"`` (pred) is checked.

    ``eps`` is the finite-difference step, ``seed`` draws R. Returns a GradcheckReport with one
    relative error per checked tensor (``report.ok(tol)``, ``bool(report)``: all below 1e-6).
    """
    if isinstance(fn, Loss):
        x, tgt, _ = _layer_args("a loss", args, inputs, target, loss_fn, 2)
        if tgt is None:
            raise fail(
                "gradcheck", "target", "be given to check a loss", None, "gradcheck(loss, pred, target)"
            )
        return _check_loss(copy.deepcopy(fn), np.array(x, dtype=np.float64), tgt, eps)
    if isinstance(fn, Module):
        x, tgt, lf = _layer_args("a module", args, inputs, target, loss_fn, 3)
        if (lf is None) != (tgt is None):
            raise fail("gradcheck", "target and loss_fn", "be given together, or neither", (tgt, lf))
        if lf is not None and not isinstance(lf, Loss):
            raise fail("gradcheck", "loss_fn", "be a Loss", type(lf).__name__, error=TypeError)
        return _check_module(fn, np.array(x, dtype=np.float64), tgt, lf, eps, seed)
    return _check_function(fn, _function_inputs(fn, args, inputs, target, loss_fn), eps, seed)


def _function_inputs(
    fn: Any, args: tuple[Any, ...], inputs: Any, target: Any, loss_fn: Any
) -> tuple[Any, ...]:
    """The inputs of ``gradcheck(fn, a, b)``, ``gradcheck(fn, (a, b))`` or ``gradcheck(fn, inputs=(a, b))``
    (each a value or a tuple)."""
    if not callable(fn):
        rule = "be a function of Tensors, a Module (layer, model) or a Loss"
        raise fail("gradcheck", "fn", rule, type(fn).__name__, error=TypeError)
    if target is not None or loss_fn is not None:
        rule = "be used only with a Module (gradcheck(model, x, target, loss_fn))"
        raise fail("gradcheck", "target and loss_fn", rule, "a function", "compute the loss in fn", TypeError)
    if inputs is not None and args:
        raise fail("gradcheck", "inputs", "be given once, after fn or as inputs=", "both", error=TypeError)
    if inputs is not None:
        return inputs if isinstance(inputs, tuple) else (inputs,)
    if len(args) == 1 and isinstance(args[0], tuple):
        return args[0]  # gradcheck(fn, (a, b)), PyTorch's form
    return args


def _layer_args(
    kind: str, args: Sequence[Any], inputs: Any, target: Any, loss_fn: Any, most: int
) -> tuple[Any, Any, Any]:
    """``(x, target, loss_fn)`` from ``gradcheck(module, x, target, loss_fn)``'s positional and keyword
    arguments (each given once)."""
    if inputs is not None:
        fix = f"pass x after it: gradcheck({kind.split()[-1]}, x, ...)"
        raise fail("gradcheck", "inputs=", "be used only with a function", kind, fix, TypeError)
    if not 1 <= len(args) <= most:
        names = ", ".join(["x", "target", "loss_fn"][:most])
        raise fail(
            "gradcheck", f"the arguments after {kind}", f"be {names}", f"{len(args)} values", error=TypeError
        )
    given = [*args, None, None][1:3]
    for i, (name, keyword) in enumerate((("target", target), ("loss_fn", loss_fn))):
        if keyword is not None:
            if given[i] is not None:
                raise fail(
                    "gradcheck", name, "be given once", "it positionally and by keyword", error=TypeError
                )
            given[i] = keyword
    return args[0], given[0], given[1]


def _check_loss(loss: Loss, x: np.ndarray, target: Any, eps: float) -> GradcheckReport:
    """The objective is ``loss(x, target)``; only "input" is checked."""

    def objective() -> float:
        return loss(x, target)

    report = GradcheckReport(value=objective())
    analytic_x = loss.backward()
    with no_grad():
        record(report, "input", analytic_x, numeric_grad(objective, x, eps))
    return report


def _check_module(
    module: Module, x: np.ndarray, target: Any, loss_fn: Loss | None, eps: float, seed: int
) -> GradcheckReport:
    module = copy.deepcopy(module).to(np.float64)
    loss_fn = copy.deepcopy(loss_fn)
    # Random layers (Dropout in training mode): the same draws on every forward pass (a fixed mask).
    draws = FixedDraws([default_generator(), *generators_of(module.modules())])
    r = None

    def objective() -> float:
        nonlocal r
        draws.restore()
        out = module(x)
        if loss_fn is not None:
            return loss_fn(out, target)
        if r is None:
            r = np.random.default_rng(seed).standard_normal(out.shape)
        return float(np.sum(out * r))

    report = GradcheckReport(value=objective())
    grad_out = loss_fn.backward() if loss_fn is not None else np.asarray(r)
    analytic_x = module.backward(grad_out, input_grad=True)  # Sequential returns dloss/dx only if asked
    named = module.named_parameters()
    analytic = {name: None if p.grad is None else np.array(p.grad, copy=True) for name, p in named}
    with no_grad():  # the evaluations record no graph and keep no cache
        for name, p in named:
            record(report, name, analytic[name], numeric_grad(objective, p.data, eps))
        record(report, "input", analytic_x, numeric_grad(objective, x, eps))
    draws.restore()  # the caller's shared generator as it was
    return report


def _check_function(fn: Callable[..., Any], args: Sequence[Any], eps: float, seed: int) -> GradcheckReport:
    call_args = [_as_input(a) for a in args]
    leaves = {i: t for i, t in enumerate(call_args) if isinstance(t, Tensor) and t.requires_grad}
    if not leaves:
        rule = "include a floating-point ndarray or a Tensor with requires_grad=True"
        raise fail(
            "gradcheck", "inputs", rule, f"only constants ({len(args)} inputs)", "pass the arrays to check"
        )
    names = {i: "input" if len(leaves) == 1 else f"input{i}" for i in leaves}
    draws = FixedDraws([default_generator()])
    outs = _outputs(fn, call_args, draws)
    g = np.random.default_rng(seed)
    rs = [np.ones(()) if o.ndim == 0 else g.standard_normal(o.shape) for o in outs]

    def objective() -> float:
        new = _outputs(fn, call_args, draws)
        for o, r in zip(new, rs, strict=True):
            if o.shape != r.shape:
                rule = f"keep its shape {r.shape} near the point checked (differentiable there)"
                raise fail("gradcheck", "fn's output", rule, f"shape {o.shape} after a step of {eps:g}")
        return sum(float(np.sum(o.data * r)) for o, r in zip(new, rs, strict=True))

    report = GradcheckReport(value=sum(float(np.sum(o.data * r)) for o, r in zip(outs, rs, strict=True)))
    _backward(outs, rs, list(leaves.values()))
    analytic = {i: None if t.grad is None else np.array(t.grad, copy=True) for i, t in leaves.items()}
    with no_grad():
        for i, t in leaves.items():
            record(report, names[i], analytic[i], numeric_grad(objective, t.data, eps))
    draws.restore()
    return report


def _as_input(a: Any) -> Any:
    """A float64 copy, as a Tensor requiring grad, of an input to check; any other input unchanged."""
    if isinstance(a, Tensor):
        return Tensor(np.array(a.data, dtype=np.float64), requires_grad=True) if a.requires_grad else a
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return Tensor(np.array(a, dtype=np.float64), requires_grad=True)
    return a


def _outputs(fn: Callable[..., Any], call_args: Sequence[Any], draws: FixedDraws) -> list[Tensor]:
    draws.restore()
    out = fn(*call_args)
    outs = list(out) if isinstance(out, tuple | list) else [out]
    for o in outs:
        if not isinstance(o, Tensor):
            rule = "return a Tensor or a tuple of Tensors"
            raise fail(
                "gradcheck",
                "fn",
                rule,
                f"a {type(o).__name__}",
                "build the result from its inputs",
                TypeError,
            )
    return outs


def _backward(outs: list[Tensor], rs: list[np.ndarray], leaves: list[Tensor]) -> None:
    """d(sum_k sum(out_k * r_k))/d(leaf) into each leaf's .grad; every other tensor the outputs
    reach (parameters fn closes over) keeps its .grad."""
    roots = [(o, r) for o, r in zip(outs, rs, strict=True) if o.requires_grad]
    inputs = {id(t) for t in leaves}
    others = {id(t): t for o, _ in roots for t in topological_order(o) if id(t) not in inputs}
    kept = [(t, t.grad) for t in others.values()]
    for o, r in roots:
        o.backward(r, accumulate=True)  # the leaves start at None: the sum over the outputs
    for t, grad in kept:
        t.grad = grad
