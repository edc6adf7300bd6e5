package org.racro4j.tools;

import java.nio.file.Path;

import picocli.CommandLine.Option;

/** The options every study shares besides its folder and seeds: its settings file, its device, and resuming it. */
final class StudyOptions {
    @Option(names = "--config", description = "YAML over the study's settings (defaults.yaml, then the study's own file beside it).")
    Path config;

    @Option(names = "--device", description = "cpu or cuda[:N] (default: the config's, cpu; also on --resume).")
    String device;

    @Option(names = "--resume", description = "Continue the study in --out (its saved settings are used; --seeds may add seeds).")
    boolean resume;

    /** A resumed study runs on its own saved settings; a file given as well would be silently ignored. */
    void check() {
        if (resume && config != null) throw new IllegalArgumentException("--resume uses the study's own config.yaml; drop --config");
    }
}
