"""Every error the library raises reads "<who>: <what> must <rule>, got <value>[; <fix>]" (the README's
promise): checked over the package's source, on every raise whose message is written where it is raised."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tinygrad_np"
FORM = re.compile(r"^[^\s:][^:]*: .+ must .+, got .+", re.S)
# Raises that carry no message of their own: re-raises, and the helpers that build the message in the form
# (each builder's own message is checked in test_the_builders_give_the_form). ``diverged`` (train/loop.py)
# builds its message with ``fail`` and adds the attributes TrainingDivergedError carries (epoch, step, history).
BUILDERS = {"fail", "in_context", "missing_module", "diverged"}


def _message(call: ast.Call) -> str | None:
    """The message of ``Error(<literal or f-string>)`` with each {field} as "X", or None if not literal."""
    if not call.args:
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in arg.values)
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add):  # "..." + "..."
        left, right = _message(ast.Call(args=[arg.left])), _message(ast.Call(args=[arg.right]))  # type: ignore[call-arg]
        return None if left is None or right is None else left + right
    return None


def raised_messages() -> list[tuple[str, int, str]]:
    """(file, line, message) of every ``raise SomeError("...")`` in the package."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
                continue
            func = node.exc.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name in BUILDERS or name == "NotImplementedError":
                continue
            msg = _message(node.exc)
            out.append(
                (
                    str(path.relative_to(PACKAGE.parent)),
                    node.lineno,
                    "<not a literal>" if msg is None else msg,
                )
            )
    return out


def test_the_checker_reads_messages() -> None:
    found = raised_messages()
    assert len(found) > 20  # the package raises many errors: the walk really reads them
    assert FORM.match("Linear: input must have shape (batch, 3), got (2, 4)")
    assert not FORM.match("bad input")


def test_every_error_message_has_the_one_form() -> None:
    bad = [f"{f}:{line}: {msg!r}" for f, line, msg in raised_messages() if not FORM.match(msg)]
    assert not bad, "messages not in the form '<who>: <what> must <rule>, got <value>':\n" + "\n".join(bad)


def test_the_builders_give_the_form() -> None:
    import tinygrad_np as tnp
    from tinygrad_np.data.datasets.extras import missing_module
    from tinygrad_np.train.loop import diverged
    from tinygrad_np.train.state import CallbackList, TrainState
    from tinygrad_np.validation import fail

    assert FORM.match(str(fail("Linear", "input", "have shape (batch, 3)", (2, 4))))
    missing = missing_module("PIL")
    assert isinstance(missing, ModuleNotFoundError) and missing.name == "PIL"
    assert FORM.match(str(missing)) and str(missing).endswith("(or pip install Pillow)")
    model = tnp.Linear(2, 1, rng=0)
    state = TrainState(model, tnp.MSELoss(), tnp.SGD(model.parameters(), lr=0.1), None, None,
                       CallbackList([]), epochs=3, steps_per_epoch=2, batch_size=1, m=2)  # fmt: skip
    for step in (1, None):
        err = diverged(state, "the loss", "stay finite", "nan", step=step)
        assert isinstance(err, tnp.TrainingDivergedError) and (err.epoch, err.step) == (1, step)
        assert FORM.match(str(err)) and str(err).startswith(
            "fit: the loss must stay finite, got nan at epoch 1/3"
        )
