package org.racro4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import org.racro4j.core.Device;

/**
 * How a training step's time and memory grow: {@link TrainStepBench} at points that vary one thing at a time from a
 * base point (the small train-step shape of bench/run-cpu-report.sh: layers 2, dim 128, heads 4, kv-heads 2, vocab
 * 512, seq 64, batch 8): the sequence length, the batch, and the model size (layers and dim together). One JSON line
 * per point, {@code "bench":"scaling"} with the axis it belongs to, ms per step, tokens/s and the peak bytes of live
 * tensors (the backend's count, see {@link TrainStepBench}).
 *
 * <p>The default points take at most about three minutes on two cores; {@link #quickPoints()} are seconds, for testing.
 */
public final class ScalingBench {
    private ScalingBench() {}

    /** One point of the sweep: which axis it belongs to, the model, and the batch it trains on. */
    public record Point(String axis, DecoderShape shape, int seq, int batch) {}

    static final DecoderShape BASE = new DecoderShape(2, 128, 4, 2, 512);

    public static List<Point> defaultPoints() {
        List<Point> p = new ArrayList<>();
        for (int seq : new int[] {32, 64, 128, 256, 512}) p.add(new Point("seq", BASE, seq, 8));
        for (int batch : new int[] {2, 4, 8, 16, 32}) p.add(new Point("batch", BASE, 64, batch));
        // head dim 32 throughout, as in the base
        p.add(new Point("model", new DecoderShape(1, 64, 2, 2, 512), 64, 8));
        p.add(new Point("model", BASE, 64, 8));
        p.add(new Point("model", new DecoderShape(4, 256, 8, 2, 512), 64, 8));
        p.add(new Point("model", new DecoderShape(6, 384, 12, 2, 512), 64, 8));
        p.add(new Point("model", new DecoderShape(8, 512, 16, 2, 512), 64, 8));
        return p;
    }

    /** Two tiny points per axis: checks the pipeline, measures nothing worth keeping. */
    public static List<Point> quickPoints() {
        DecoderShape tiny = new DecoderShape(1, 32, 2, 1, 64);
        return List.of(new Point("seq", tiny, 8, 2), new Point("seq", tiny, 16, 2),
                new Point("batch", tiny, 8, 1), new Point("batch", tiny, 8, 2),
                new Point("model", tiny, 8, 2), new Point("model", new DecoderShape(2, 64, 2, 1, 64), 8, 2));
    }

    /**
     * Measures every point in order, handing each JSON line to {@code out} as soon as it is known. A discarded run of
     * the first point comes first, so that the first measured point does not also pay for JIT compilation.
     */
    public static void run(List<Point> points, Device device, int warmup, int steps, Consumer<String> out) {
        if (points.isEmpty()) return;
        Point first = points.get(0);
        TrainStepBench.run(first.shape(), first.seq(), first.batch(), device, warmup, 1);
        for (Point p : points) {
            TrainStepBench.Result r = TrainStepBench.run(p.shape(), p.seq(), p.batch(), device, warmup, steps);
            out.accept(toJson(p.axis(), r));
        }
    }

    static String toJson(String axis, TrainStepBench.Result r) {
        DecoderShape s = r.shape();
        return String.format(Locale.ROOT,
                "{\"bench\":\"scaling\",\"impl\":\"racro4j\",\"axis\":\"%s\",\"device\":\"%s\",\"layers\":%d,\"dim\":%d,\"heads\":%d,"
                        + "\"kv_heads\":%d,\"vocab\":%d,\"seq\":%d,\"batch\":%d,\"params\":%d,\"ms_per_step\":%.2f,\"tokens_per_s\":%.1f,"
                        + "\"peak_bytes\":%d}",
                axis, r.device(), s.layers(), s.dim(), s.heads(), s.kvHeads(), s.vocab(), r.seq(), r.batch(), r.parameters(),
                r.msPerStep(), r.tokensPerSecond(), r.peakBytes());
    }
}
