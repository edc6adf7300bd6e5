package org.racro4j.training.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.racro4j.models.vision.Captioner;

/**
 * A run folder opened after the run, to evaluate its models (`racro4j eval`): the resolved config the run saved,
 * and its models, named as the pipeline saved them under models/ or given as paths to other model directories.
 * Nothing in the folder is changed.
 */
public final class RunFolder {
    /** A model to load: the name tables show it by, and its directory. */
    public record ModelRef(String name, Path dir) {}

    private final Path dir;
    private final RunConfig config;
    private final ModelStore models;

    private RunFolder(Path dir, RunConfig config) {
        this.dir = dir;
        this.config = config;
        this.models = new ModelStore(dir);
    }

    public static RunFolder open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": no such run folder");
        Path cfg = dir.resolve("config.yaml");
        if (!Files.isRegularFile(cfg)) {
            throw new IOException(dir + ": not a run folder (no config.yaml); runs are made by `racro4j train --out` or `racro4j demo --out`");
        }
        return new RunFolder(dir, ConfigLoader.load(cfg));
    }

    public Path dir() {
        return dir;
    }

    public RunConfig config() {
        return config;
    }

    /**
     * The captioner: a model name under models/ or a captioner directory; null means the run's RL captioner,
     * or its SFT captioner when RL has not finished.
     */
    public ModelRef captioner(String nameOrPath) throws IOException {
        if (nameOrPath == null) {
            for (String n : List.of("captioner_rl", "captioner_sft")) if (models.has(n)) return new ModelRef(n, models.dir(n));
            throw new IOException(dir + ": the run has no trained captioner yet (models/captioner_rl or models/captioner_sft); " + available());
        }
        ModelRef m = resolve(nameOrPath);
        if (!Captioner.isCaptionerDir(m.dir())) throw new IOException(m.dir() + " is not a captioner but a text decoder; " + available());
        return m;
    }

    /** The reasoner: a model name under models/ or any decoder directory (a swap); null means the run's reasoner. */
    public ModelRef reasoner(String nameOrPath) throws IOException {
        String name = nameOrPath == null ? "reasoner" : nameOrPath;
        ModelRef checkpoint = frozenCheckpoint(name);
        ModelRef m = checkpoint != null ? checkpoint : resolve(name);
        if (Captioner.isCaptionerDir(m.dir())) throw new IOException(m.dir() + " is a captioner, not a text reasoner; " + available());
        return m;
    }

    /**
     * The settings the run used for a reasoner: the swap reasoner's for the run's own swap reasoner, the
     * main reasoner's for any other (a decoder from elsewhere answers as the run's reasoner did).
     */
    public RunConfig.ReasonerSpec reasonerSpec(ModelRef reasoner) {
        return isSwap(reasoner) ? config.swapReasoner() : config.reasoner();
    }

    /** Whether the reasoner is the run's own (its reasoner or swap reasoner, trained or given as a checkpoint). */
    public boolean isOwn(ModelRef reasoner) {
        return isSwap(reasoner) || sameDir(reasoner.dir(), models.dir("reasoner"))
                || (config.reasoner().fromCheckpoint() && sameDir(reasoner.dir(), Path.of(config.reasoner().pretrained())));
    }

    private boolean isSwap(ModelRef reasoner) {
        RunConfig.ReasonerSpec swap = config.swapReasoner();
        return swap != null && (sameDir(reasoner.dir(), models.dir("swap_reasoner")) || (swap.fromCheckpoint() && sameDir(reasoner.dir(), Path.of(swap.pretrained()))));
    }

    private static boolean sameDir(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /**
     * The run's reasoner or swap reasoner, by name, when its config gives it as a checkpoint read as it is: the run
     * saved no copy under models/, so the name stands for the checkpoint's directory.
     */
    private ModelRef frozenCheckpoint(String name) {
        RunConfig.ReasonerSpec spec = name.equals("reasoner") ? config.reasoner() : name.equals("swap_reasoner") ? config.swapReasoner() : null;
        if (spec == null || !spec.fromCheckpoint() || spec.sft() != null || models.has(name)) return null;
        return new ModelRef(name, Path.of(spec.pretrained()));
    }

    /** A bare name is looked up under models/ first; anything else must be a model directory. */
    private ModelRef resolve(String nameOrPath) throws IOException {
        Path p = Path.of(nameOrPath);
        boolean bareName = !p.isAbsolute() && p.getNameCount() == 1 && !nameOrPath.equals(".") && !nameOrPath.equals("..");
        if (bareName && models.has(nameOrPath)) return new ModelRef(nameOrPath, models.dir(nameOrPath));
        if (Files.isDirectory(p)) {
            if (!Files.isRegularFile(p.resolve("config.json"))) throw new IOException(p + ": not a model directory (no config.json)");
            return new ModelRef(p.toAbsolutePath().normalize().getFileName().toString(), p);
        }
        if (bareName) throw new IOException("no model '" + nameOrPath + "' in " + dir.resolve("models") + "; " + available());
        throw new IOException(nameOrPath + ": no such model directory");
    }

    /** The run's models by kind, for error messages. */
    private String available() throws IOException {
        List<String> captioners = new ArrayList<>();
        List<String> decoders = new ArrayList<>();
        for (String n : models.names()) (Captioner.isCaptionerDir(models.dir(n)) ? captioners : decoders).add(n);
        if (captioners.isEmpty() && decoders.isEmpty()) return "the run has no saved models";
        return "the run's captioners: " + (captioners.isEmpty() ? "none" : String.join(", ", captioners))
                + "; its reasoners: " + (decoders.isEmpty() ? "none" : String.join(", ", decoders));
    }
}
