package org.racro4j.models.decoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.TransposedWeights;
import org.racro4j.core.cpu.Parallel;
import org.racro4j.core.io.Safetensors;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.random.Generator;

/**
 * Qwen2ForCausalLM / LlamaForCausalLM: the decoder ("model.") and its language-model head ("lm_head.", absent
 * when the head shares the embedding matrix). Loads and saves Hugging Face model directories.
 */
public final class CausalLM extends Module {
    private final DecoderConfig config;
    private final DecoderBody body;
    private final Linear lmHead;
    private final RopeTables rope;
    private final Device device;
    private final DType dtype;

    private CausalLM(DecoderConfig config, float std, Generator gen, DType dtype, Device device) {
        this.config = config;
        this.device = device;
        this.dtype = dtype;
        this.body = registerModule("model", new DecoderBody(config, std, gen, dtype, device));
        this.lmHead = config.tieWordEmbeddings() ? null
                : registerModule("lm_head", Linear.normal(config.hiddenSize(), config.vocabSize(), false, std, gen, dtype, device));
        this.rope = new RopeTables(config.headDim(), config.ropeTheta(), device);
    }

    /** A freshly initialised model (weights N(0, 0.02^2) as in Hugging Face, norms 1, biases 0). */
    public static CausalLM create(DecoderConfig config, long seed, DType dtype, Device device) {
        return new CausalLM(config, 0.02f, new Generator(seed), dtype, device);
    }

    /** A model of this shape with zero weights, drawn from nothing: the place a checkpoint's weights are loaded into. */
    public static CausalLM unloaded(DecoderConfig config, DType dtype, Device device) {
        return new CausalLM(config, 0f, new Generator(0), dtype, device);
    }

    /**
     * Loads a Hugging Face model directory (config.json and model.safetensors or a sharded index) onto a
     * device, converting weights to {@code dtype}.
     */
    public static CausalLM load(Path dir, DType dtype, Device device) throws IOException {
        return load(dir, dtype, device, false);
    }

    /**
     * Loads a model directory to run frozen (forward only), in the dtype its weights are stored in (F32 when that is
     * neither BF16 nor F16). On the CPU a BF16/F16 checkpoint's weights are memory-mapped: read in place from the file
     * and never copied to the heap; they are then read-only.
     */
    public static CausalLM loadFrozen(Path dir, Device device) throws IOException {
        return load(dir, null, device, true);
    }

    /**
     * The checkpoint into placeholders of its shape, in {@code dtype} (null: the stored one if BF16 or F16, else F32):
     * copied, or with {@code map} mapped where it can be.
     */
    private static CausalLM load(Path dir, DType dtype, Device device, boolean map) throws IOException {
        DecoderConfig config = checkedConfig(dir);   // before allocating anything of its size
        if (dtype == null) {
            DType stored = CheckpointFiles.storedDtype(dir);
            dtype = stored == DType.BF16 || stored == DType.F16 ? stored : DType.F32;
        }
        CausalLM m = unloaded(config, dtype, device);
        try {
            // Tied checkpoints sometimes still carry lm_head.weight; old Llama ones carry rotary inv_freq buffers.
            CheckpointFiles.load(dir, m.stateDict(),
                    name -> name.endsWith("rotary_emb.inv_freq") || (config.tieWordEmbeddings() && name.equals("lm_head.weight")), map);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /**
     * The config.json of a model directory, checked against its weights' names and shapes as the safetensors headers
     * give them (no weight is read): what {@link #load} would refuse, it refuses here, naming the file.
     */
    public static DecoderConfig checkedConfig(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new IOException(dir + ": no config.json (is this a model directory?)");
        DecoderConfig config = DecoderConfig.read(cfg);
        try {
            config.checkAgainstCheckpoint(CheckpointFiles.shapes(dir), "");
        } catch (IllegalArgumentException e) {
            throw new IOException(cfg + ": " + e.getMessage(), e);
        }
        return config;
    }

    /** Writes config.json and model.safetensors into dir (each file atomically), the weights in the model's dtype. */
    public void save(Path dir, Map<String, String> metadata) throws IOException {
        Files.createDirectories(dir);
        config.write(dir.resolve("config.json"), dtype);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putIfAbsent("format", "pt");
        Safetensors.write(dir.resolve(CheckpointFiles.SINGLE), stateDict(), meta);
    }

    public DecoderConfig config() {
        return config;
    }

    public Device device() {
        return device;
    }

    public DType dtype() {
        return dtype;
    }

    public KvCache newCache(int batch, int capacity) {
        return new KvCache(config, batch, capacity, dtype, device);
    }

    /** Token embeddings [B, T, D] of ids [B, T]. */
    public Tensor embed(Tensor ids) {
        return body.embedding().forward(ids);
    }

    /**
     * Final hidden states [B, T, D] of the new positions given their input embeddings.
     *
     * @param keyMask [B, S] (S = cache length + T): 1 for tokens that may be attended, 0 for padding; null = all
     * @param cache   null for a full forward; else new keys/values are appended (call cache.advance(T) after), at
     *                rotary positions from cache.length() + cache.positionOffset()
     */
    public Tensor hidden(Tensor embeds, Tensor keyMask, KvCache cache) {
        int pos0 = cache == null ? 0 : cache.length();
        int t = embeds.size(1);
        if (pos0 + t > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + (pos0 + t) + " tokens exceeds the model's context of "
                    + config.maxPositions() + " (max_position_embeddings)");
        }
        // the context check counts the entries stored; rotary uses the absolute position (entries dropped by a shift
        // still count, so queries keep the angles their keys were rotated with)
        int rotaryPos0 = cache == null ? 0 : pos0 + cache.positionOffset();
        return body.forward(embeds, rope, rotaryPos0, keyMask, cache);
    }

    /** Logits [.., V] of hidden states [.., D]. */
    public Tensor logits(Tensor hidden) {
        return lmHead != null ? lmHead.forward(hidden) : Functional.linear(hidden, body.embedding().weight(), null);
    }

    /**
     * One decode step at the cache's device cursor ({@link KvCache#startDeviceCursor}): logits [B, V] of the next
     * token after ids [B, 1]. Reads the position and lengths on the device and advances them itself, and moves no
     * data to or from the host, so a backend that captures graphs can record it once and replay it every step.
     * The caller advances the cache's host length ({@link KvCache#advance}) by 1 per step.
     */
    public Tensor decodeStep(Tensor ids, KvCache cache) {
        return decodeStep(ids, cache, DecodeRowParts.of(this, cache, ids.size(0)));
    }

    /** The step with its rows in parts at these bounds ({@link DecodeRowParts}), or whole (null). */
    Tensor decodeStep(Tensor ids, KvCache cache, int[] parts) {
        cache.markKeyAtCursor();
        cache.growDeviceLengths();
        Tensor pos = cache.devicePosition();
        Tensor cos = rope.cosAt(pos);
        Tensor sin = rope.sinAt(pos);
        Tensor out = parts == null ? decodeRows(ids, cos, sin, cache) : decodeInParts(ids, cos, sin, cache, parts);
        cache.advanceDevicePosition();
        return out;
    }

    private Tensor decodeRows(Tensor ids, Tensor cos, Tensor sin, KvCache cache) {
        Tensor h = body.forwardDecode(embed(ids), cos, sin, cache);
        return logits(h.reshape(ids.size(0), -1));
    }

    /**
     * The step's rows in parts, one per thread (Parallel.parts; each part's kernels then run serially), on row views of
     * the cache; every part reads the caller's row-major weight copies with autograd off, as the caller does.
     */
    private Tensor decodeInParts(Tensor ids, Tensor cos, Tensor sin, KvCache cache, int[] bounds) {
        if (!readsRowMajorCopies()) throw new IllegalStateException("decodeStep: row parts need the weights' row-major copies open");
        TransposedWeights copies = TransposedWeights.current();
        Tensor[] logits = new Tensor[bounds.length - 1];
        try {
            Parallel.parts(logits.length, i -> logits[i] = Scope.unscoped(() -> {
                int from = bounds[i];
                int n = bounds[i + 1] - from;
                try (Autograd.Mode off = Autograd.noGrad(); TransposedWeights.Borrowed w = copies.borrow();
                     KvCache rows = cache.rows(from, n); Scope s = Scope.open()) {
                    return s.keep(decodeRows(ids.narrow(0, from, n), cos, sin, rows));
                }
            }));
            return Tensor.cat(Arrays.asList(logits), 0);
        } finally {
            for (Tensor t : logits) if (t != null) t.close();
        }
    }

    /**
     * Whether this thread's products read row-major copies of this model's weights ({@link #transposedWeights} open,
     * autograd off).
     */
    boolean readsRowMajorCopies() {
        return TransposedWeights.lookup(lmHead != null ? lmHead.weight() : body.embedding().weight()) != null;
    }

    /**
     * Row-major copies of the weights of every linear layer and of the head (the embedding when tied), for the calling
     * thread until closed (see {@link TransposedWeights}).
     */
    public TransposedWeights transposedWeights() {
        List<Tensor> weights = new ArrayList<>(Linear.weightsIn(this));
        if (lmHead == null) weights.add(body.embedding().weight());
        return TransposedWeights.of(weights);
    }

    /** Bytes of the weights {@link #transposedWeights} would copy. */
    public long linearWeightBytes() {
        long bytes = 0;
        for (Tensor w : Linear.weightsIn(this)) bytes += w.numel() * w.dtype().byteSize();
        if (lmHead == null) bytes += body.embedding().weight().numel() * dtype.byteSize();
        return bytes;
    }

    /** Makes the rotary tables cover positions [0, positions) (before a decode step is captured). */
    public void reservePositions(int positions) {
        rope.reserve(positions);
    }

    /** Logits [B, T, V] for ids [B, T]. */
    public Tensor forward(Tensor ids, Tensor keyMask, KvCache cache) {
        return logits(hidden(embed(ids), keyMask, cache));
    }

    @Override
    public void close() {
        super.close();
        rope.close();
    }
}
