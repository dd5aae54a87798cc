"""fit()'s argument checks, its divergence rule and its all-or-nothing resume."""

import json

import numpy as np
import pytest
from builders import small_mlp

import tinygrad_np as tnp
from tinygrad_np.train import CheckpointError, TrainingDivergedError, fit
from tinygrad_np.train.checkpoint import load_checkpoint


def _data(m=60, n=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, n))
    return x, (x[:, 0] > 0).astype(np.float64)


def _model(seed=0):
    return small_mlp(seed, dropout=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"batch_size": 2.7}, TypeError, r"fit: batch_size must be an integer >= 1, got 2.7"),
        ({"batch_size": True}, TypeError, r"batch_size must be an integer"),
        ({"batch_size": 0}, ValueError, r"batch_size must be >= 1, got 0"),
        ({"epochs": 1.5}, TypeError, r"epochs must be an integer"),
        ({"divergence_factor": 0.5}, ValueError, r"divergence_factor must be a finite number in \[1"),
        ({"rng": 3, "batch_size": 10}, TypeError, r"rng must be an np.random.Generator, got int"),
    ],
)
def test_argument_errors_name_the_argument(kwargs, error, pattern):
    x, y = _data()
    model = _model()
    args = {"epochs": 1, "progress": "none"} | kwargs
    with pytest.raises(error, match=pattern):
        fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1), x, y, **args)


def test_wrong_kinds_of_object_are_type_errors():
    x, y = _data()
    model = _model()
    opt = tnp.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="fit: loss_fn must be a tnp.Loss, got function"):
        fit(model, lambda p, t: 0.0, opt, x, y, epochs=1)
    with pytest.raises(TypeError, match="fit: y must hold real numbers, got dtype complex128"):
        fit(model, tnp.BCELoss(), opt, x, y.astype(complex), epochs=1)
    with pytest.raises(TypeError, match=r"callbacks\[0\] must be a tnp.Callback"):
        fit(model, tnp.BCELoss(), opt, x, y, epochs=1, callbacks=[object()])


@pytest.mark.parametrize(
    "make_opt", [lambda p: tnp.SGD(p, lr=1e3), lambda p: tnp.SGD(p, lr=1e6), lambda p: tnp.Adam(p, lr=1e3)]
)
def test_an_exploding_loss_stops_training(make_opt):
    rng = np.random.default_rng(0)
    x = rng.random((80, 300))  # image-like inputs in [0, 1]
    y = (rng.random(80) < 0.35).astype(np.float64)
    model = tnp.Sequential(
        tnp.Linear(300, 20, rng=rng), tnp.ReLU(), tnp.Linear(20, 1, rng=rng), tnp.Sigmoid()
    )
    with (
        np.errstate(all="ignore"),
        pytest.raises(
            TrainingDivergedError,
            match=r"^fit: (the epoch's loss must not explode past|the weights must stay finite, got a NaN or infinite weight)",
        ),
    ):
        fit(model, tnp.BCELoss(), make_opt(model.parameters()), x, y, epochs=50, progress="none")


def test_the_divergence_rule_can_be_switched_off():
    rng = np.random.default_rng(0)
    x = rng.random((80, 300))
    y = (rng.random(80) < 0.35).astype(np.float64)
    model = tnp.Sequential(tnp.Linear(300, 1, rng=rng), tnp.Sigmoid())
    with np.errstate(all="ignore"):
        h = fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=1e3), x, y, epochs=5,
                divergence_factor=None, progress="none")  # fmt: skip
    assert len(h) == 5 and max(h["loss"]) > 20 * h["loss"][0]  # it did explode, and was let through


def test_a_normal_run_is_not_called_divergent():
    x, y = _data()
    model = _model()
    h = fit(model, tnp.BCELoss(), tnp.Adam(model.parameters(), lr=0.01), x, y, epochs=30, batch_size=8,
            rng=np.random.default_rng(0), progress="none")  # fmt: skip
    assert len(h) == 30 and h["loss"][-1] < h["loss"][0]


def _checkpointed(tmp_path, epochs=3):
    x, y = _data()
    model = _model()
    fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1, momentum=0.9), x, y, epochs=epochs,
        checkpoint=tmp_path / "last.npz", progress="none")  # fmt: skip
    return tmp_path / "last.npz"


@pytest.mark.parametrize(
    ("make_opt", "epochs", "pattern"),
    [
        (lambda p: tnp.Adam(p, lr=0.1), 5, "the state is for a SGD"),
        (
            lambda p: tnp.SGD(p, lr=0.1, momentum=0.9),
            2,
            r"'epoch' \(epochs completed\) must be at most the 2 epochs asked for, got 3; ask for epochs >= 3",
        ),
    ],
)
def test_a_rejected_resume_leaves_the_model_unchanged(tmp_path, make_opt, epochs, pattern):
    path = _checkpointed(tmp_path)
    x, y = _data()
    model = _model(seed=7)
    before = model.state_dict()
    with pytest.raises(ValueError, match=pattern):
        fit(model, tnp.BCELoss(), make_opt(model.parameters()), x, y, epochs=epochs, resume_from=path,
            progress="none")  # fmt: skip
    for key, value in before.items():
        np.testing.assert_array_equal(model.state_dict()[key], value)


def test_checkpoint_rng_state_cannot_choose_code(tmp_path):
    path = _checkpointed(tmp_path)
    arrays = load_checkpoint(path)
    arrays["rng/fit"] = np.array(json.dumps({"bit_generator": "seed", "state": {}}))
    tnp.save(arrays, path)
    x, y = _data()
    model = _model()
    state_before = np.random.get_state()[1].copy()  # noqa: NPY002  (the global state must stay untouched)
    with pytest.raises(CheckpointError, match=r"rng/fit: bit_generator must be one of .*got 'seed'"):
        fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1, momentum=0.9), x, y, epochs=5,
            resume_from=path, progress="none")  # fmt: skip
    np.testing.assert_array_equal(np.random.get_state()[1], state_before)  # noqa: NPY002


@pytest.mark.parametrize(
    ("key", "value", "pattern"),
    [
        ("epoch", np.array(-7), "'epoch' must be an integer >= 0"),
        ("epoch", np.array("two"), "'epoch' must be an integer"),
        (
            "rng/fit",
            np.array("{not json"),
            "rng/fit: the entry must be a valid random generator state, got one that does not load",
        ),
    ],
)
def test_bad_checkpoint_contents_are_clear_errors(tmp_path, key, value, pattern):
    path = _checkpointed(tmp_path)
    arrays = load_checkpoint(path)
    arrays[key] = value
    tnp.save(arrays, path)
    x, y = _data()
    model = _model()
    with pytest.raises(CheckpointError, match=pattern):
        fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1, momentum=0.9), x, y, epochs=5,
            resume_from=path, progress="none")  # fmt: skip


def test_a_missing_epoch_is_a_clear_error(tmp_path):
    path = _checkpointed(tmp_path)
    arrays = load_checkpoint(path)
    del arrays["epoch"]
    tnp.save(arrays, path)
    x, y = _data()
    model = _model()
    with pytest.raises(
        CheckpointError,
        match=r"'epoch' must be in the checkpoint, got a file without it; the file was not written by fit\(\)",
    ):
        fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1, momentum=0.9), x, y, epochs=5,
            resume_from=path, progress="none")  # fmt: skip


def _resume(path, model=None, **kwargs):
    x, y = _data()
    model = _model() if model is None else model
    opt = tnp.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = kwargs.pop("scheduler", None)
    fit(model, tnp.BCELoss(), opt, x, y, epochs=5, resume_from=path, progress="none",
        scheduler=sched(opt) if sched else None, **kwargs)  # fmt: skip


def test_a_resume_must_match_the_run_it_continues(tmp_path):
    """Each mismatch names the file, what differs (saved and here), and how to resume."""
    path = _checkpointed(tmp_path)
    with pytest.raises(CheckpointError, match=r"last\.npz: fit's scheduler must be None \(the checkpoint was "
                       r"written without one\), got StepLR; resume the same way$"):  # fmt: skip
        _resume(path, scheduler=lambda opt: tnp.optim.StepLR(opt, step_size=2))
    rng = np.random.default_rng(0)
    dropout = tnp.Sequential(tnp.Linear(6, 8, rng=rng), tnp.Dropout(0.1, rng=rng), tnp.Linear(8, 1, rng=rng),
                             tnp.Sigmoid())  # fmt: skip
    with pytest.raises(CheckpointError, match=r"last\.npz: the model's layers with an rng must be at \[\], as "
                       r"in the checkpoint, got \['1'\]; resume into the same model$"):  # fmt: skip
        _resume(path, model=dropout)
    partial = {f"partial/{k}": np.array(1.0) for k in ("loss_sum", "correct", "seen", "seconds")}
    tnp.save(load_checkpoint(path) | partial | {"step_in_epoch": np.array(1)}, path)  # stopped mid-epoch
    with pytest.raises(CheckpointError, match=r"last\.npz: a mid-epoch resume must have the checkpoint's "
                       r"batch_size 60 on 60 samples \(it stopped at step 1\), got batch_size 20 on 60 samples; "
                       r"resume with the same data and batch size$"):  # fmt: skip
        _resume(path, batch_size=20, shuffle=False)


def test_a_checkpoint_with_nan_weights_is_not_written(tmp_path):
    from tinygrad_np.train.checkpoint import save_checkpoint

    path = tmp_path / "ck.npz"
    with pytest.raises(ValueError, match=r"ck\.npz: weight '0\.weight' must be finite to be saved, got NaN or "
                       r"infinite values; nothing was written$"):  # fmt: skip
        save_checkpoint(path, {"model/0.weight": np.array([1.0, np.nan])})
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_folder_that_cannot_be_made_is_refused_before_training(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    x, y = _data()
    model = _model()
    before = model.state_dict()
    with pytest.raises(
        OSError, match=r"file/ck\.npz: its folder must exist or be creatable, got \S+/file \("
    ):
        fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1), x, y, epochs=2,
            checkpoint=tmp_path / "file" / "ck.npz", progress="none")  # fmt: skip
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
