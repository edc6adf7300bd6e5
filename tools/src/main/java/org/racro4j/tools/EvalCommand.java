package org.racro4j.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.training.pipeline.EvalReport;
import org.racro4j.training.pipeline.RunEvaluation;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a captioner and a reasoner of a run made by `train --out` or `demo --out`: the reasoner blind "
                + "(question only), reading the captioner's captions, and reading gold descriptions (oracle), with the perception "
                + "gap and a per-category table. --reasoner may name a different frozen text reasoner than the one the captioner "
                + "was trained with (a swap, no retraining). The run folder is only read.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "DIR",
            description = "Run folder (its config.yaml gives seed, tasks, image size and sampling settings).")
    Path run;

    @Option(names = "--captioner", paramLabel = "NAME|PATH",
            description = "A model under RUN/models or a captioner directory. Default: captioner_rl if present, else captioner_sft.")
    String captioner;

    @Option(names = "--reasoner", paramLabel = "NAME|PATH",
            description = "A model under RUN/models (e.g. swap_reasoner) or any decoder directory racro4j loads, such as a Hugging Face "
                    + "checkpoint with its own tokenizer (captions are passed as text and tokenized by the reasoner). Default: reasoner.")
    String reasoner;

    @Option(names = "--reasoner-prompt", paramLabel = "NAME",
            description = "How the reasoner is asked: words (the built-in tasks' template, for reasoners racro4j trained) or a paper prompt "
                    + "through the checkpoint's chat template: racro-reasoner or prco-solver. Default: as the run asks its own reasoners; "
                    + "for a checkpoint from elsewhere, words if its tokenizer is word-level, else racro-reasoner.")
    String reasonerPrompt;

    @Option(names = "--max-answer-tokens", paramLabel = "N",
            description = "The longest answer the reasoner may write (a pretrained reasoner thinking step by step needs hundreds). "
                    + "Default: the run's reasoner's max_answer_tokens.")
    Integer maxAnswerTokens;

    @Option(names = "--tasks", paramLabel = "jsonl:FILE",
            description = "Evaluate on an external dataset (one JSON object per line: image, question, answer, optional choices, "
                    + "description, category) instead of the run's held-out test split.")
    String tasks;

    @Option(names = "--allow-unknown-words",
            description = "Evaluate questions and gold descriptions with words the models' tokenizers do not know (read as <unk>) "
                    + "instead of refusing them; the report counts them.")
    boolean allowUnknownWords;

    @Option(names = "--test-items", paramLabel = "N",
            description = "Held-out items to evaluate (the run's own split, cut or extended). Default: the run's tasks.test_items.")
    Integer testItems;

    @Option(names = "--device", paramLabel = "cpu|cuda[:N]", description = "Device to run on. Default: the run's.")
    String device;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to this file.")
    Path json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (tasks != null && testItems != null) throw new IllegalArgumentException("--tasks and --test-items exclude each other");
        Path jsonl = null;
        if (tasks != null) {
            if (!tasks.startsWith("jsonl:") || tasks.length() == "jsonl:".length()) {
                throw new IllegalArgumentException("--tasks takes jsonl:FILE, got '" + tasks + "'");
            }
            jsonl = Path.of(tasks.substring("jsonl:".length()));
        }
        ObjectNode report = RunEvaluation.evaluate(new RunEvaluation.Request(run, captioner, reasoner, jsonl, testItems, device, allowUnknownWords,
                        reasonerPrompt, maxAnswerTokens),
                spec.commandLine().getErr());
        var out = spec.commandLine().getOut();
        out.print(EvalReport.markdown(report));
        out.flush();
        if (json != null) {
            if (json.toAbsolutePath().getParent() != null) Files.createDirectories(json.toAbsolutePath().getParent());
            Files.writeString(json, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n");
        }
        return 0;
    }
}
