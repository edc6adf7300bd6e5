package org.racro4j.training.pipeline;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A study's console: one line per message, and after every stage the study's progress counted across its seeds, with
 * an ETA once this process has run a seed to its end (every seed does the same work). Before that, none: the stages
 * differ too much in length to extrapolate from a count of them (each stage shows its own ETA while it runs).
 */
final class StudyProgress {
    private final PrintWriter console;
    private final int stagesPerSeed;
    private final int stagesTotal;
    private final long started = System.nanoTime();
    private int stagesDone;
    private int seedsRunHere;
    private double secondsRunHere;

    StudyProgress(PrintWriter console, int seeds, int stagesPerSeed) {
        this.console = console;
        this.stagesPerSeed = stagesPerSeed;
        this.stagesTotal = seeds * stagesPerSeed;
    }

    /** Stages of a seed found done earlier (a resumed study). */
    synchronized void doneEarlier(int stages) {
        stagesDone += stages;
    }

    /** A stage of {@code seed} was marked done. */
    synchronized void stageDone(long seed, String stage) {
        stagesDone++;
        say("seed %d: %s done; study %d of %d stages, %s elapsed%s", seed, stage, stagesDone, stagesTotal,
                minutes((System.nanoTime() - started) / 1e9), eta());
    }

    /** This process ran a seed to its end in {@code seconds}. */
    synchronized void seedRan(double seconds) {
        seedsRunHere++;
        secondsRunHere += seconds;
    }

    private String eta() {
        if (seedsRunHere == 0 || stagesDone >= stagesTotal) return "";
        double remainingSeeds = (stagesTotal - stagesDone) / (double) stagesPerSeed;
        return ", ETA " + minutes(secondsRunHere / seedsRunHere * remainingSeeds);
    }

    static String minutes(double s) {
        return String.format(Locale.ROOT, "%d min %02d s", (long) s / 60, (long) s % 60);
    }

    synchronized void say(String fmt, Object... args) {
        console.println(String.format(Locale.ROOT, fmt, args));
        console.flush();
    }

    synchronized void print(String text) {
        console.println();
        console.print(text);
        console.flush();
    }
}
