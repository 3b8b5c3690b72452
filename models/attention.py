"""Transformer building blocks shared by the `transformer` and `patchtst` models of the zoo:
sinusoidal positions and a pre-norm encoder (Lag-Llama's block layout, without its rotary
embeddings or distribution head). torch only."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def sinusoidal_encoding(length: int, dim: int, device=None, dtype=torch.float32) -> Tensor:
    """[length, dim] fixed positions (Vaswani et al.): sin on even, cos on odd channels. Built
    per call, so any sequence length works; cheap next to the attention it feeds."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    frequency = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim)
    )
    encoding = torch.zeros(length, dim, device=device, dtype=torch.float32)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency)[:, : dim // 2]
    return encoding.to(dtype)


class EncoderBlock(nn.Module):
    """x + Attention(LayerNorm(x)), then x + MLP(LayerNorm(x)) with a GELU MLP. Attention is
    `scaled_dot_product_attention`; with `causal` a position attends to itself and earlier ones
    only, so trailing padding never reaches a real step. `dropout` applies to the residual
    branches and inside the MLP, not to the attention weights: on CPU, attention dropout forces
    the unfused kernel (6x slower training at T=500); Llama-style blocks use none."""

    def __init__(self, d_model: int, heads: int, dropout: float, causal: bool, mlp_ratio: int = 4):
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model {d_model} is not a multiple of heads {heads}")
        self.heads, self.causal = heads, causal
        self.attention_norm = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.attention_out = nn.Linear(d_model, d_model)
        self.mlp_norm = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_ratio * d_model),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(mlp_ratio * d_model, d_model),
        )
        self.residual_dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        batch, length, width = x.shape
        qkv = self.qkv(self.attention_norm(x))
        q, k, v = qkv.view(batch, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        attended = attended.transpose(1, 2).reshape(batch, length, width)
        x = x + self.residual_dropout(self.attention_out(attended))
        return x + self.residual_dropout(self.mlp(self.mlp_norm(x)))


class Encoder(nn.Module):
    """`layers` pre-norm blocks and the final LayerNorm that pre-norm stacks need."""

    def __init__(self, d_model: int, heads: int, layers: int, dropout: float, causal: bool):
        super().__init__()
        self.blocks = nn.ModuleList(
            EncoderBlock(d_model, heads, dropout, causal) for _ in range(layers)
        )
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return self.norm(x)
