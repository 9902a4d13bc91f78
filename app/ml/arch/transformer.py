"""A small Transformer encoder for sequence tasks, with LayerNorm after (post-LN) or before (pre-LN) each sublayer.

Layers, input -> output: embed, then per block k: blockk.attn.qkv, blockk.attn.out, blockk.ffn.w1, blockk.ffn.w2,
then output (reads the mean over positions). blockk.ffn.w2 is the weight of Xiong et al. (2020)'s Figure 3.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import skip_init

from app.ml.activations import ACTIVATIONS
from app.ml.arch.common import init_in_order
from app.ml.datasets import DATASETS
from app.ml.model import Capture

if TYPE_CHECKING:
    from app.ml.config import RunConfig


def _note(capture: list[Capture] | None, h: Tensor) -> Tensor:
    if capture is not None:
        capture.append(Capture(None, None, h))
    return h


def sinusoidal_positions(length: int, d: int) -> Tensor:
    """Vaswani et al. (2017)'s fixed position code: (T, d), no parameters."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(length, d)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)[:, : d // 2]
    return pe


class SelfAttention(nn.Module):
    """Multi-head self-attention: qkv (d -> 3d), softmax(q kᵀ/√d_head) v per head, out (d -> d)."""

    def __init__(self, cfg: RunConfig):
        super().__init__()
        d = cfg.width
        self.heads = cfg.heads
        self.qkv = skip_init(nn.Linear, d, 3 * d)
        self.out = skip_init(nn.Linear, d, d)

    def forward(self, x: Tensor, capture: list[Capture] | None) -> Tensor:
        b, t, d = x.shape
        qkv = _note(capture, self.qkv(x))  # (B, T, 3d)
        q, k, v = (p.view(b, t, self.heads, d // self.heads).transpose(1, 2) for p in qkv.chunk(3, dim=2))
        y = F.scaled_dot_product_attention(q, k, v)  # (B, heads, T, d_head)
        return _note(capture, self.out(y.transpose(1, 2).reshape(b, t, d)))


class FeedForward(nn.Module):
    """w2 a(w1 x): d -> ffn_width -> d."""

    def __init__(self, cfg: RunConfig):
        super().__init__()
        self.w1 = skip_init(nn.Linear, cfg.width, cfg.ffn_width)
        self.act = ACTIVATIONS[cfg.activation].module(cfg)
        self.w2 = skip_init(nn.Linear, cfg.ffn_width, cfg.width)

    def forward(self, x: Tensor, capture: list[Capture] | None) -> Tensor:
        return _note(capture, self.w2(self.act(_note(capture, self.w1(x)))))


class Block(nn.Module):
    """post-LN: x = LN(x + f(x)) per sublayer (Vaswani et al.); pre-LN: x = x + f(LN(x)) (Xiong et al.)."""

    def __init__(self, cfg: RunConfig):
        super().__init__()
        self.attn = SelfAttention(cfg)
        self.ffn = FeedForward(cfg)
        self.ln1 = nn.LayerNorm(cfg.width)
        self.ln2 = nn.LayerNorm(cfg.width)
        self.pre = cfg.norm_position == "pre"

    def forward(self, x: Tensor, capture: list[Capture] | None) -> Tensor:
        if self.pre:
            x = x + self.attn(self.ln1(x), capture)
            return x + self.ffn(self.ln2(x), capture)
        x = self.ln1(x + self.attn(x, capture))
        return self.ln2(x + self.ffn(x, capture))


class TransformerNet(nn.Module):
    """x (B, T, d_in) -> output(mean over t of the last block) (B, n_out)."""

    positions: Tensor  # (seq_len, width), a buffer

    def __init__(self, cfg: RunConfig):
        super().__init__()
        data = DATASETS[cfg.dataset]
        self.embed = skip_init(nn.Linear, data.input_dim, cfg.width)
        self.register_buffer("positions", sinusoidal_positions(cfg.seq_len, cfg.width), persistent=False)
        self.blocks = [Block(cfg) for _ in range(cfg.depth)]
        for k, block in enumerate(self.blocks):
            self.add_module(f"block{k + 1}", block)  # named block1..blockN, as the dashboard lists them
        # pre-LN's residual stream is never normalised inside the blocks: the final LayerNorm does it once
        self.final_norm = nn.LayerNorm(cfg.width) if cfg.norm_position == "pre" else nn.Identity()
        self.output = skip_init(nn.Linear, cfg.width, data.n_classes)
        self._linears = [(n, m) for n, m in self.named_modules() if isinstance(m, nn.Linear)]  # forward order

    @property
    def layer_names(self) -> list[str]:
        return [name for name, _ in self._linears]

    def linears(self) -> list[nn.Module]:
        return [m for _, m in self._linears]

    def forward(self, x: Tensor, capture: list[Capture] | None = None) -> Tensor:
        h = _note(capture, self.embed(x)) + self.positions[: x.shape[1]]  # (B, T, d)
        for block in self.blocks:
            h = block(h, capture)
        return _note(capture, self.output(self.final_norm(h).mean(dim=1)))


def build_transformer(cfg: RunConfig) -> TransformerNet:
    """A freshly initialised encoder, every Linear drawn from cfg.seed's generator in layer order."""
    model = TransformerNet(cfg)
    init_in_order(model.linears(), cfg)
    return model
