"""A tiny GPT-like Module (token and position Embeddings, one pre-norm block with MultiheadAttention or
F.scaled_dot_product_attention, LayerNorm, a GELU MLP, the output head tied to the token embedding):
to ONNX (onnxruntime on (batch, time) integer ids) and to torch (outputs and every gradient)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np import Tensor
from tinygrad_np.export import to_onnx, to_torch

V, T, C, H = 11, 6, 8, 2


class TinyGPT(tnp.Module):
    def __init__(self, fused: bool, approximate: str = "none", dtype=np.float64) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.fused = fused
        self.wte = tnp.Embedding(V, C, rng=rng, dtype=dtype)
        self.wpe = tnp.Embedding(T, C, rng=rng, dtype=dtype)
        self.ln1 = tnp.LayerNorm(C, dtype=dtype)
        self.attn = tnp.MultiheadAttention(C, H, rng=rng, dtype=dtype)
        self.ln2 = tnp.LayerNorm(C, bias=False, dtype=dtype)
        self.fc = tnp.Linear(C, 4 * C, rng=rng, dtype=dtype)
        self.gelu = tnp.GELU(approximate)
        self.proj = tnp.Linear(4 * C, C, rng=rng, dtype=dtype)
        self.ln_f = tnp.LayerNorm(C, dtype=dtype)
        self.head = tnp.Linear(C, V, bias=False, rng=rng, dtype=dtype)
        self.head.weight = self.wte.weight  # tied

    def forward(self, idx: Tensor) -> Tensor:
        n, t = idx.shape
        x = self.wte(idx) + self.wpe(Tensor(np.arange(t)))  # a Tensor of positions: part of the graph
        h = self.ln1(x)
        if self.fused:  # the attention written by hand around the fused function, as nanoGPT
            q, k, v = (
                z.view(n, t, H, C // H).transpose(1, 2) for z in self.attn._project(h, None).split(C, dim=2)
            )
            y = (
                F.scaled_dot_product_attention(q, k, v, is_causal=True)
                .transpose(1, 2)
                .contiguous()
                .view(n, t, C)
            )
            x = x + self.attn.out_proj(y)
        else:
            x = x + self.attn(h, h, h, need_weights=False, is_causal=True)[0]
        x = x + self.proj(self.gelu(self.fc(self.ln2(x))))
        return self.head(self.ln_f(x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fused, approximate", [(True, "none"), (False, "tanh")])
def test_tiny_gpt_exports_to_onnx(tmp_path, dtype, fused, approximate) -> None:
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model = TinyGPT(fused, approximate, dtype)
    path = tmp_path / "gpt.onnx"
    to_onnx(model, path, (T,), input_dtype=np.int64)
    idx = np.random.default_rng(1).integers(0, V, (3, T))
    want = model(Tensor(idx)).data
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": idx})[0]
    assert got.dtype == dtype and got.shape == (3, T, V)
    exact = dtype == np.float64 and approximate == "tanh"  # (float64 Erf runs in float32 in onnxruntime)
    np.testing.assert_allclose(got, want, rtol=1e-10 if exact else 1e-4, atol=1e-12 if exact else 1e-5)


@pytest.mark.parametrize("fused", [True, False])
def test_tiny_gpt_to_torch_matches_outputs_and_gradients(fused) -> None:
    torch = pytest.importorskip("torch")
    model = TinyGPT(fused)
    twin = to_torch(model, (T,), input_dtype=np.int64)
    assert list(twin.state_dict()) == list(model.state_dict())
    assert twin.wte.weight is twin.head.weight  # still tied
    idx = np.random.default_rng(2).integers(0, V, (4, T))
    target = np.random.default_rng(3).integers(0, V, 4 * T)
    loss = F.cross_entropy(model(Tensor(idx)).reshape(4 * T, V), target)
    loss.backward()
    tloss = torch.nn.functional.cross_entropy(twin(torch.tensor(idx)).reshape(4 * T, V), torch.tensor(target))
    tloss.backward()
    assert abs(float(loss) - tloss.item()) < 1e-12
    theirs = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, theirs[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
