package org.racro4j.bench;

import java.util.List;

import org.racro4j.models.decoder.DecoderConfig;

/**
 * The Qwen2-shaped decoder the throughput benchmarks use, defined identically in bench/python/qwen2_peer.py:
 * head dim = dim / heads, SwiGLU width 3 × dim, qkv bias, tied embeddings, RMSNorm eps 1e-6, RoPE theta 1e6.
 */
public record DecoderShape(int layers, int dim, int heads, int kvHeads, int vocab) {
    public DecoderShape {
        if (dim % heads != 0) throw new IllegalArgumentException("--dim (" + dim + ") must be a multiple of --heads (" + heads + ")");
        if (heads % kvHeads != 0) throw new IllegalArgumentException("--heads (" + heads + ") must be a multiple of --kv-heads (" + kvHeads + ")");
        if ((dim / heads) % 2 != 0) throw new IllegalArgumentException("head dim (" + dim / heads + ") must be even for RoPE");
    }

    public DecoderConfig config(int maxPositions) {
        return new DecoderConfig(DecoderConfig.QWEN2, vocab, dim, 3 * dim, layers, heads, kvHeads, dim / heads, maxPositions,
                1_000_000.0, 1e-6, true, true, 0, List.of());
    }
}
