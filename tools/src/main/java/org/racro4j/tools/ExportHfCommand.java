package org.racro4j.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.CheckpointFiles;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.HfExport;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;

@Command(name = "export-hf", mixinStandardHelpOptions = true,
        description = "Write a model of a run folder as a Hugging Face checkpoint directory that transformers loads "
                + "(AutoModelForCausalLM, AutoTokenizer): config.json, model.safetensors, tokenizer.json, tokenizer_config.json, "
                + "special_tokens_map.json, generation_config.json; for a model whose decoder started from a pretrained checkpoint, "
                + "that checkpoint's tokenizer, chat template and generation files instead. A captioner gives its language decoder "
                + "only. Written under a temporary name, read back and checked, then renamed.")
final class ExportHfCommand implements Callable<Integer> {
    /** The name that stands for the run's final captioner. */
    static final String CAPTIONER = "captioner";
    static final String FINAL_CAPTIONER = "captioner_rl";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--run", required = true, paramLabel = "DIR", description = "A run folder (made by demo, train or a study seed).")
    Path run;

    @Option(names = "--model", required = true, paramLabel = "NAME",
            description = "A model in DIR/models: reasoner, swap_reasoner, or a captioner (" + CAPTIONER + " = " + FINAL_CAPTIONER
                    + ", or captioner_sft, policy_*, ...), whose language decoder is written without its vision tower and projector.")
    String name;

    @Option(names = "--out", required = true, paramLabel = "DIR2", description = "The directory to write; must not exist.")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(run)) throw new IOException("no such run folder: " + run);
        if (Files.exists(out)) throw new IOException(out + " already exists (the export writes a new directory)");
        Path models = run.resolve("models");
        List<String> names = modelNames(models);
        String dirName = name.equals(CAPTIONER) && !names.contains(CAPTIONER) ? FINAL_CAPTIONER : name;
        if (!names.contains(dirName)) {
            throw new IllegalArgumentException("the run " + run + " has no model '" + name + "'"
                    + (names.isEmpty() ? " (it has no finished models)" : " (it has " + String.join(", ", names) + ")"));
        }
        Path dir = models.resolve(dirName);
        // a word-level tokenizer is the run's own; any other came with the checkpoint the model started from, and goes
        // with it unchanged
        Tokenizer loaded = Tokenizers.load(dir.resolve("tokenizer.json"));
        WordLevelTokenizer words = loaded instanceof WordLevelTokenizer w ? w : null;
        HfExport.Summary s;
        boolean captioner = Captioner.isCaptionerDir(dir);
        try (Captioner c = captioner ? Captioner.load(dir, DType.F32, Device.CPU) : null;
             CausalLM decoder = captioner ? null : CausalLM.load(dir, DType.F32, Device.CPU)) {
            CausalLM lm = captioner ? c.languageModel() : decoder;
            s = words != null ? HfExport.write(lm, words, out) : HfExport.writeWithTextOf(lm, dir, out);
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "wrote %s: %s%s (%s, %,d parameters, vocab %d, %s), %d files; read back and checked%n", s.dir(), dirName,
                captioner ? "'s language decoder" : "", s.architecture(), s.parameters(), s.vocabSize(), s.dtype(), fileCount(s.dir()));
        if (words != null && s.architecture().equals(DecoderConfig.QWEN2)) {
            o.println("load its tokenizer with PreTrainedTokenizerFast.from_pretrained: transformers 5's AutoTokenizer gives every "
                    + "qwen2 model a byte-level Qwen2Tokenizer, which does not read this word-level tokenizer.json");
        }
        if (captioner) {
            o.println("without the vision tower and projector: the decoder alone sees no image, where it was trained with the "
                    + "projected image patches before its prompt");
        }
        return 0;
    }

    private static long fileCount(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.count();
        }
    }

    /** The run's finished models: directories of models/ with a config.json and model.safetensors (not staging ones). */
    static List<String> modelNames(Path models) throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(models)) return names;
        try (var dirs = Files.list(models)) {
            dirs.filter(d -> !d.getFileName().toString().endsWith(".tmp"))
                    .filter(d -> Files.isRegularFile(d.resolve("config.json")) && Files.isRegularFile(d.resolve(CheckpointFiles.SINGLE)))
                    .map(d -> d.getFileName().toString()).sorted().forEach(names::add);
        }
        return names;
    }
}
