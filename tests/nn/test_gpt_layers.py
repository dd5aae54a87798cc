"""Embedding, LayerNorm, GELU, scaled dot-product attention and MultiheadAttention: gradient checks
(hypothesis, float64, odd sizes), PyTorch parity to 1e-10 in float64 (values and every gradient),
float32 kept, stability at ±1000, clear errors; and the Tensor API a GPT needs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np import Tensor
from tinygrad_np.numerics import erf, normal_cdf

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _t(a, grad=True):
    return torch.tensor(a, requires_grad=grad)


def close(a, b, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(
        np.asarray(a), b.detach().numpy() if hasattr(b, "detach") else b, rtol=rtol, atol=atol
    )


# -- erf -------------------------------------------------------------------------------------------
def test_erf_and_normal_cdf_are_accurate_in_float64() -> None:
    x = np.concatenate(
        [np.linspace(-8, 8, 20001), np.geomspace(1e-300, 1, 300), -np.geomspace(1e-300, 1, 300)]
    )
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), ref, rtol=3e-15, atol=0)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(normal_cdf(x), cdf, rtol=5e-14, atol=0)  # also the lower tail, relatively
    assert normal_cdf(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    assert normal_cdf(np.ones(3, np.float32)).dtype == np.float32


# -- GELU ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch(approximate) -> None:
    x = np.random.default_rng(0).normal(size=(4, 7)) * 3
    x[0, :3] = [1000.0, -1000.0, 0.0]
    a = Tensor(x, requires_grad=True)
    y = F.gelu(a, approximate)
    g = np.random.default_rng(1).normal(size=x.shape)
    y.backward(g)
    t = _t(x)
    ty = TF.gelu(t, approximate=approximate)
    ty.backward(torch.tensor(g))
    close(y.data, ty)
    close(a.grad, t.grad)
    layer = tnp.GELU(approximate)
    np.testing.assert_array_equal(layer(x), y.data)
    np.testing.assert_array_equal(layer.backward(g), a.grad)
    assert repr(layer) == f"GELU(approximate={approximate!r})"



def test_normal_cdf_float32_is_accurate_and_blocks_change_nothing() -> None:
    x = np.linspace(-13, 13, 200_001).astype(np.float32)  # Φ(-13) ~ 6e-39: still a normal float32
    truth = np.array([0.5 * math.erfc(-float(v) / math.sqrt(2)) for v in x])
    got = normal_cdf(x)
    assert got.dtype == np.float32
    # relative also in the lower tail, within a few ulps times Φ's condition number there (~x², from
    # x² rounded in float32: what the three-piece float32 formula also had)
    assert np.all(np.abs(got - truth) / truth <= 4e-7 * (1 + x.astype(np.float64) ** 2))
    assert normal_cdf(np.array([-np.inf, -1000, 1000, np.inf], np.float32)).tolist() == [0, 0, 1, 1]
    big = np.random.default_rng(0).normal(size=(3, 50_001)).astype(np.float32) * 3  # several blocks
    pieces = np.concatenate([normal_cdf(row[i : i + 1000]) for row in big for i in range(0, row.size, 1000)])
    np.testing.assert_array_equal(normal_cdf(big).reshape(-1), pieces)

@pytest.mark.parametrize("approximate", ["none", "tanh"])
@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_gelu_gradcheck(approximate, data) -> None:
    shape = data.draw(st.tuples(st.integers(1, 5), st.integers(1, 7)))
    x = np.random.default_rng(data.draw(st.integers(0, 1000))).normal(size=shape) * 2
    assert tnp.gradcheck(lambda a: F.gelu(a, approximate), x).ok(1e-6)


def test_gelu_float32_and_errors() -> None:
    x = np.linspace(-5, 5, 11, dtype=np.float32)
    layer = tnp.GELU()
    y = layer(x)
    assert y.dtype == np.float32 and layer.backward(np.ones_like(y)).dtype == np.float32
    # accurate in float32 also where torch's float32 1 + erf cancels (x = -5: torch -1.19e-6, true -1.43e-6)
    np.testing.assert_allclose(y, TF.gelu(torch.tensor(x, dtype=torch.float64)).numpy(), rtol=1e-6, atol=0)
    np.testing.assert_allclose(y, TF.gelu(torch.tensor(x)).numpy(), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match=r"GELU: approximate must be one of .*got 'erf'"):
        tnp.GELU("erf")


# -- Embedding ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch_with_repeated_indices(padding_idx) -> None:
    rng = np.random.default_rng(0)
    emb = tnp.Embedding(7, 5, padding_idx, rng=rng)
    ref = torch.nn.Embedding(7, 5, padding_idx, dtype=torch.float64)
    ref.load_state_dict({k: torch.tensor(v) for k, v in emb.state_dict().items()})
    idx = np.array([[0, 2, 2, 6], [6, 6, 1, 2], [3, 2, 0, 0]])
    if padding_idx is not None:
        assert not emb.weight.data[padding_idx].any()
    g = rng.normal(size=(3, 4, 5))
    y = emb(Tensor(idx))
    y.backward(g)
    ty = ref(torch.tensor(idx))
    ty.backward(torch.tensor(g))
    close(y.data, ty)
    close(emb.weight.grad, ref.weight.grad)
    out = emb(idx)  # the Layer protocol: ndarray in, ndarray out, backward sets weight.grad
    assert out.shape == (3, 4, 5) and emb.backward(g) is None
    close(emb.weight.grad, ref.weight.grad)
    f = F.embedding(idx, Tensor(emb.weight.data, requires_grad=True), padding_idx=padding_idx)
    close(f.data, ty)


@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_embedding_gradcheck_with_repeats(data) -> None:
    v, d = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 5))
    idx = np.array(data.draw(st.lists(st.integers(0, v - 1), min_size=1, max_size=9)))
    w = np.random.default_rng(data.draw(st.integers(0, 99))).normal(size=(v, d))
    assert tnp.gradcheck(lambda w_: F.embedding(idx.reshape(1, -1), w_), w).ok(1e-6)


def test_embedding_errors_and_dtype() -> None:
    emb = tnp.Embedding(4, 3, rng=0, dtype=np.float32)
    assert emb(np.array([1, 3])).dtype == np.float32 and emb(np.int32(2)).shape == (3,)
    with pytest.raises(TypeError, match=r"input must hold integer indices, got dtype float64"):
        emb(np.array([1.0]))
    with pytest.raises(IndexError, match=r"every index must lie in \[0, 3\].*got 4"):
        emb(np.array([0, 4]))
    with pytest.raises(IndexError, match=r"got -1"):
        F.embedding(np.array([-1]), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"padding_idx must lie in \[-4, 3\], got 4"):
        tnp.Embedding(4, 3, padding_idx=4)
    assert list(emb.state_dict()) == ["weight"] and repr(emb) == "Embedding(4, 3)"


# -- LayerNorm ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape, normalized, affine, bias",
    [
        ((4, 6), 6, True, True),
        ((2, 3, 5), (3, 5), True, True),
        ((3, 7), 7, False, True),
        ((2, 2, 4), 4, True, False),
    ],
)
def test_layer_norm_matches_torch(shape, normalized, affine, bias) -> None:
    rng = np.random.default_rng(0)
    ln = tnp.LayerNorm(normalized, elementwise_affine=affine, bias=bias)
    ref = torch.nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias, dtype=torch.float64)
    for p in ln.parameters():
        p.data = rng.normal(size=p.shape)
    ref.load_state_dict({k: torch.tensor(v) for k, v in ln.state_dict().items()})
    assert list(ln.state_dict()) == list(ref.state_dict())
    x = rng.normal(size=shape) * 3
    x[0] = 0.1  # a constant row (or block)
    x[-1, ..., :2] = [1000.0, -1000.0]
    g = rng.normal(size=shape)
    a = Tensor(x, requires_grad=True)
    y = ln(a)
    y.backward(g)
    t = _t(x)
    ty = ref(t)
    ty.backward(torch.tensor(g))
    close(y.data, ty)
    close(a.grad, t.grad, atol=1e-9)
    for (_name, p), tp in zip(ln.named_parameters(), ref.parameters(), strict=True):
        close(p.grad, tp.grad, atol=1e-10)
    assert np.all(np.isfinite(a.grad))
    fy = F.layer_norm(
        x, normalized, None if not affine else ln.weight.data, None if ln.bias is None else ln.bias.data
    )
    close(fy.data, ty)


@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_layer_norm_gradcheck(data) -> None:
    rows, n = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 7))
    rng = np.random.default_rng(data.draw(st.integers(0, 999)))
    ln = tnp.LayerNorm(n)
    ln.weight.data, ln.bias.data = rng.normal(size=n), rng.normal(size=n)
    report = tnp.gradcheck(ln, rng.normal(size=(rows, n)))
    # (n = 2: xhat = ±1 whatever x is, so dL/dx ~ 0 and only its absolute error means something)
    assert not report.problems and all(
        report.errors[k] < 1e-6 or report.abs_errors[k] < 1e-8 for k in report.errors
    ), report


def test_layer_norm_float32_and_errors() -> None:
    ln = tnp.LayerNorm(4, dtype=np.float32)
    y = ln(np.full((2, 4), 1000.0, np.float32))
    assert y.dtype == np.float32 and np.all(y == 0) and ln.backward(np.ones_like(y)).dtype == np.float32
    with pytest.raises(ValueError, match=r"input must have shape \(\*, 4\).*got shape \(2, 3\)"):
        ln(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"normalized_shape must be"):
        tnp.LayerNorm("4")


# -- scaled dot-product attention --------------------------------------------------------------------
def _qkv(rng, batch=(2, 3), lq=4, lk=5, e=6, ev=3):
    return (
        rng.normal(size=(*batch, lq, e)),
        rng.normal(size=(*batch, lk, e)),
        rng.normal(size=(*batch, lk, ev)),
    )


MASKS = ["none", "causal", "bool", "float", "float-grad", "scale"]


@pytest.mark.parametrize("kind", MASKS)
def test_sdpa_matches_torch(kind) -> None:
    rng = np.random.default_rng(0)
    q, k, v = _qkv(rng)
    mask = None
    if kind == "bool":
        mask = rng.random((4, 5)) > 0.4
        mask[1] = False  # a query with every key masked: zeros, as torch 2.13
    elif kind.startswith("float"):
        mask = rng.normal(size=(3, 4, 5))
    ours = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [_t(a) for a in (q, k, v)]
    om = Tensor(mask, requires_grad=True) if kind == "float-grad" else mask
    tm = _t(mask) if kind == "float-grad" else None if mask is None else torch.tensor(mask)
    kw = {"is_causal": kind == "causal", "scale": 0.37 if kind == "scale" else None}
    y = F.scaled_dot_product_attention(*ours, om, **kw)
    ty = TF.scaled_dot_product_attention(*theirs, tm, **kw)
    g = rng.normal(size=y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    close(y.data, ty)
    for a, t in zip(ours, theirs, strict=True):
        close(a.grad, t.grad)
    if kind == "float-grad":
        close(om.grad, tm.grad)
    if kind == "bool":
        assert not y.data[:, :, 1].any()


@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float"])
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_sdpa_gradcheck(kind, data) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 999)))
    lq, lk = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    if kind == "causal":
        lk = lq
    q, k, v = _qkv(
        rng,
        (data.draw(st.integers(1, 3)),),
        lq,
        lk,
        data.draw(st.integers(1, 4)),
        data.draw(st.integers(1, 3)),
    )
    mask = {
        "none": None,
        "causal": None,
        "bool": rng.random((lq, lk)) > 0.3,
        "float": rng.normal(size=(lq, lk)),
    }[kind]
    report = tnp.gradcheck(
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, mask, is_causal=kind == "causal"), q, k, v
    )
    assert report.ok(1e-6), report


def test_sdpa_stable_float32_broadcast_and_errors() -> None:
    rng = np.random.default_rng(1)
    q, k, v = (a.astype(np.float32) for a in _qkv(rng, (2,)))
    q[0, 0] *= 1000
    y = F.scaled_dot_product_attention(Tensor(q, requires_grad=True), k[None], v)  # batch dims broadcast
    assert y.dtype == np.float32 and y.shape == (1, 2, 4, 3) and np.all(np.isfinite(y.data))
    y.sum().backward()
    ty = TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k[None]), torch.tensor(v))
    np.testing.assert_allclose(y.data, ty.numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"shapes must agree"):
        F.scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match=r"attn_mask must broadcast to the scores' shape \(2, 4, 5\)"):
        F.scaled_dot_product_attention(q, k, v, np.ones((3, 5), bool))
    with pytest.raises(TypeError, match=r"attn_mask must be boolean"):
        F.scaled_dot_product_attention(q, k, v, np.ones((4, 5), np.int64))
    with pytest.raises(ValueError, match=r"be None when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, np.ones((4, 5), bool), is_causal=True)


def test_sdpa_dropout_is_drawn_by_the_caller_and_reproducible() -> None:
    q, k, v = _qkv(np.random.default_rng(2))
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=3)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.allclose(a.data, F.scaled_dot_product_attention(q, k, v).data)
    assert tnp.gradcheck(lambda x: F.scaled_dot_product_attention(x, k, v, dropout_p=0.5, rng=3), q).ok(1e-6)


# -- MultiheadAttention ------------------------------------------------------------------------------
def _mha_pair(bias=True, batch_first=True):
    mha = tnp.MultiheadAttention(8, 2, bias=bias, batch_first=batch_first, rng=0)
    ref = torch.nn.MultiheadAttention(8, 2, bias=bias, batch_first=batch_first, dtype=torch.float64)
    assert list(mha.state_dict()) == list(ref.state_dict())
    rng = np.random.default_rng(5)
    for p in mha.parameters():
        p.data = rng.normal(size=p.shape) * 0.5
    ref.load_state_dict({k: torch.tensor(v) for k, v in mha.state_dict().items()})
    return mha, ref


@pytest.mark.parametrize(
    "case",
    [
        "self",
        "self-no-weights",
        "cross",
        "causal-mask",
        "bool-mask",
        "float-mask",
        "seq-first",
        "per-head",
        "unbatched",
    ],
)
def test_multihead_attention_matches_torch(case) -> None:
    mha, ref = _mha_pair(batch_first=case != "seq-first")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 4, 8)) if case != "unbatched" else rng.normal(size=(4, 8))
    kv = rng.normal(size=(3, 5, 8)) if case == "cross" else None
    mask = None
    if case == "causal-mask":
        mask = np.triu(np.ones((4, 4), bool), 1)
    elif case == "bool-mask":
        mask = rng.random((6, 4, 4)) > 0.7
    elif case == "float-mask":
        mask = rng.normal(size=(4, 4))
    kw = {"need_weights": case != "self-no-weights", "average_attn_weights": case != "per-head"}
    xt = Tensor(x, requires_grad=True)
    kt = xt if kv is None else Tensor(kv, requires_grad=True)
    out, w = mha(xt, kt, kt, attn_mask=mask, **kw)
    tx = _t(x)
    tk = tx if kv is None else _t(kv)
    tout, tw = ref(tx, tk, tk, attn_mask=None if mask is None else torch.tensor(mask), **kw)
    g = rng.normal(size=out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    close(out.data, tout)
    if w is None:
        assert tw is None
    else:
        close(w.data, tw)
    close(xt.grad, tx.grad)
    if kv is not None:
        close(kt.grad, tk.grad)
    theirs = dict(ref.named_parameters())
    for name, p in mha.named_parameters():
        close(p.grad, theirs[name].grad, atol=1e-11)


def test_multihead_attention_is_causal_and_errors() -> None:
    mha, _ = _mha_pair()
    x = Tensor(np.random.default_rng(0).normal(size=(2, 5, 8)))
    causal, _ = mha(x, x, x, is_causal=True, need_weights=False)
    masked, _ = mha(x, x, x, attn_mask=np.triu(np.ones((5, 5), bool), 1), need_weights=False)
    np.testing.assert_allclose(causal.data, masked.data, rtol=1e-13)
    with pytest.raises(ValueError, match=r"embed_dim must be divisible by num_heads \(3\), got 8"):
        tnp.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match=r"query must have shape \(batch, length, 8\)"):
        mha(np.zeros((2, 5, 7)), np.zeros((2, 5, 7)), np.zeros((2, 5, 7)))
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(5, 5\) or \(4, 5, 5\)"):
        mha(x, x, x, attn_mask=np.zeros((3, 5), bool))


def test_multihead_attention_init_is_pytorchs() -> None:
    mha = tnp.MultiheadAttention(64, 4, rng=0)
    assert mha.in_proj_weight.shape == (192, 64) and not mha.in_proj_bias.data.any()
    assert np.abs(mha.in_proj_weight.data).max() <= math.sqrt(6 / 256)
    assert np.abs(mha.out_proj.weight.data).max() <= 1 / 8 and not mha.out_proj.bias.data.any()


# -- the Tensor API a GPT needs ----------------------------------------------------------------------
def test_tensor_split_chunk_var_softmax_match_torch() -> None:
    x = np.random.default_rng(0).normal(size=(2, 3, 7))
    a, t = Tensor(x, requires_grad=True), _t(x)
    ours = [
        *a.split(3, dim=-1),
        *a.split([1, 2], dim=1),
        *a.chunk(2, 0),
        a.var(-1, keepdim=True),
        a.var(dim=(0, 2), unbiased=False),
        a.softmax(1),
        a.log_softmax(-1),
        a.contiguous().view(6, 7),
    ]
    theirs = [
        *t.split(3, dim=-1),
        *t.split([1, 2], dim=1),
        *t.chunk(2, 0),
        t.var(-1, keepdim=True),
        t.var(dim=(0, 2), unbiased=False),
        t.softmax(1),
        t.log_softmax(-1),
        t.contiguous().view(6, 7),
    ]
    assert [o.shape for o in ours] == [tuple(s.shape) for s in theirs]
    rng = np.random.default_rng(1)
    total, ttotal = 0, 0
    for o, s in zip(ours, theirs, strict=True):
        close(o.data, s)
        r = rng.normal(size=o.shape)
        total = total + (o * r).sum()
        ttotal = ttotal + (s * torch.tensor(r)).sum()
    total.backward()
    ttotal.backward()
    close(a.grad, t.grad)


def test_batched_matmul_broadcasts_and_weight_tying_sums_gradients() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(5, 6))
    ta, tb = _t(a), _t(b)
    x, w = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (x @ w).sum().backward()
    (ta @ tb).sum().backward()
    close(w.grad, tb.grad)
    close(x.grad, ta.grad)

    class Tied(tnp.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte = tnp.Embedding(5, 4, rng=1)
            self.head = tnp.Linear(4, 5, bias=False, rng=1)
            self.head.weight = self.wte.weight

        def forward(self, idx):
            return self.head(self.wte(idx))

    m = Tied()
    assert list(m.state_dict()) == ["wte.weight", "head.weight"] and len(m.parameters()) == 1
    idx = np.array([[0, 1, 1, 4]])
    F.cross_entropy(m(Tensor(idx)).reshape(4, 5), np.array([1, 2, 3, 0])).backward()
    tw = _t(m.wte.weight.data)
    TF.cross_entropy((tw[torch.tensor(idx)] @ tw.T).reshape(4, 5), torch.tensor([1, 2, 3, 0])).backward()
    close(m.wte.weight.grad, tw.grad)


def test_a_tied_weight_is_saved_once_and_loads_back_tied(tmp_path) -> None:
    class Tied(tnp.Module):
        def __init__(self, seed: int) -> None:
            super().__init__()
            self.wte = tnp.Embedding(5, 4, rng=seed)
            self.norm = tnp.LayerNorm(4)
            self.head = tnp.Linear(4, 5, bias=False, rng=seed)
            self.head.weight = self.wte.weight

    m, other = Tied(1), Tied(2)
    m.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as f:  # the array once, the second name a reference to the first
        assert sorted(f.files) == ["norm.bias", "norm.weight", "tied/head.weight", "wte.weight"]
        assert str(f["tied/head.weight"]) == "wte.weight"
    other.load(tmp_path / "m.npz")
    assert other.head.weight is other.wte.weight  # still one Parameter
    np.testing.assert_array_equal(other.wte.weight.data, m.wte.weight.data)
    tnp.save(m.state_dict(), tmp_path / "full.npz")  # a file with both keys (older, or from PyTorch) loads too
    Tied(3).load(tmp_path / "full.npz")
    tnp.save({"norm.weight": np.ones(4), "norm.bias": np.zeros(4), "wte.weight": np.zeros((5, 4)),
              "tied/head.weight": np.array("nowhere")}, tmp_path / "bad.npz")  # fmt: skip
    with pytest.raises(KeyError, match=r"'tied/head.weight' must name a key stored in the file, got 'nowhere'"):
        Tied(3).load(tmp_path / "bad.npz")
