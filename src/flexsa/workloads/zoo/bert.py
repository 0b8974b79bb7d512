"""BERT-base encoder (Devlin et al. 2019) as a transformer training workload.

Per encoder layer: a fused QKV projection, the attention-score and context batched GEMMs
(one per head), the output projection and the two FFN GEMMs, plus softmax, GELU, residual
adds and layer norms for the SIMD estimate. Embedding look-ups are not GEMMs and are left
out; the task head is left out too.
"""

from __future__ import annotations

from flexsa.errors import WorkloadError
from flexsa.validation import as_float, positive
from flexsa.workloads.model import Model
from flexsa.workloads.zoo.builder import NetBuilder, Tensor


def bert_base(seq_len: int = 128, width_mult: float = 1.0, num_layers: int = 12,
              hidden: int = 768, heads: int = 12, ffn: int = 3072) -> Model:
    seq_len = positive(seq_len, "sequence length", error=WorkloadError)
    as_float(width_mult, "width multiplier", low=0.0, low_open=True, error=WorkloadError)
    head_dim = max(1, round(hidden * width_mult / heads))
    hidden = head_dim * heads
    ffn = max(1, round(ffn * width_mult))
    net = NetBuilder("bert_base", hidden, seq_len, 1)
    # the embeddings' output: trainable, so the first projection keeps its data gradient
    x = Tensor(net.space("hidden", hidden, prunable=False).spaces, seq_len, 1)
    for i in range(num_layers):
        p = f"encoder.layer.{i}"
        net.linear(f"{p}.attention.qkv", x, 3 * hidden, tokens=seq_len, prunable=False,
                   scale=False)
        net.matmul(f"{p}.attention.score", seq_len, seq_len, head_dim, heads)
        net.eltwise_fixed(f"{p}.attention.softmax", "softmax", heads * seq_len * seq_len, 5)
        net.matmul(f"{p}.attention.context", seq_len, head_dim, seq_len, heads)
        ctx = net.space(f"{p}.attention.context", hidden, prunable=False)
        ctx = Tensor(ctx.spaces, seq_len, 1)
        net.linear(f"{p}.attention.output", ctx, hidden, tokens=seq_len, out_space="hidden",
                   prunable=False, scale=False)
        net.eltwise(f"{p}.attention.add", x, "add", 1, inputs=2)
        net.eltwise(f"{p}.attention.layernorm", x, "layernorm", 8)
        h = net.linear(f"{p}.intermediate", x, ffn, tokens=seq_len, scale=False)
        net.eltwise(f"{p}.intermediate.gelu", Tensor(h.spaces, seq_len, 1), "gelu", 8)
        net.linear(f"{p}.output", Tensor(h.spaces, seq_len, 1), hidden, tokens=seq_len,
                   out_space="hidden", prunable=False, scale=False)
        net.eltwise(f"{p}.output.add", x, "add", 1, inputs=2)
        net.eltwise(f"{p}.output.layernorm", x, "layernorm", 8)
    return net.build()
