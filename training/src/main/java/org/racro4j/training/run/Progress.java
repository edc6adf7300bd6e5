package org.racro4j.training.run;

import java.time.Duration;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar with ETA for a long stage. On a terminal it redraws in place; otherwise (logs, CI), or when
 * another stage reports at the same time, it prints a line at every tenth of the work, so logs stay readable.
 */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private final String task;
    private final long total;
    private final long start = System.nanoTime();
    private long done;
    private int lastDecile = -1;

    public Progress(String task, long total) {
        this(task, total, true);
    }

    /** {@code redraw}: whether a bar may redraw in place on a terminal (false: lines, as in a log). */
    public Progress(String task, long total, boolean redraw) {
        this.task = task;
        this.total = total;
        if (redraw && System.console() != null) {
            this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250).showSpeed().build();
        } else {
            this.bar = null;
        }
    }

    public void step(long n, String extra) {
        done += n;
        if (bar != null) {
            bar.stepBy(n);
            if (extra != null) bar.setExtraMessage(extra);
            return;
        }
        int decile = total <= 0 ? 10 : (int) (10 * done / total);
        if (decile != lastDecile) {
            lastDecile = decile;
            double secs = (System.nanoTime() - start) / 1e9;
            double eta = done == 0 ? Double.NaN : secs / done * (total - done);
            System.err.printf("%s %d/%d (%d%%) elapsed %s eta %s%s%n", task, done, total, total == 0 ? 100 : 100 * done / total,
                    format(secs), Double.isNaN(eta) ? "?" : format(eta), extra == null ? "" : " " + extra);
        }
    }

    private static String format(double secs) {
        Duration d = Duration.ofMillis((long) (secs * 1000));
        return String.format("%d:%02d", d.toMinutes(), d.toSecondsPart());
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
