package org.racro4j.training.tasks;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads an external task dataset: one JSON object per line,
 * <pre>{"image": "img/0001.png", "question": "...", "answer": "...", "choices": ["...", "..."],
 *  "description": "...", "category": "...", "answer_type": "number", "id": "..."}</pre>
 * Required: {@code image} (a PNG or JPEG path, relative to the JSONL file's folder), {@code question}
 * (non-blank string) and {@code answer} (non-blank string, or a JSON number). Optional (absent or null):
 * {@code choices} (array of non-blank strings; the answer must then be one of them or a letter A, B, … naming
 * one), {@code description} (the gold description, free text; default empty), {@code category} (default
 * "external"), {@code answer_type} ("number", "word" or "yes_no"; inferred from the answer when absent) and
 * {@code id} (default "file.jsonl:line"). Unknown fields are ignored; blank lines are skipped.
 *
 * <p>Bad input never silently becomes a wrong item. Invalid JSON (including trailing text or duplicate
 * keys), a missing or ill-typed field, an answer that contradicts its type or choices, or an unreadable
 * image is, in {@link Mode#STRICT} mode, a {@link TaskFormatException} naming file, line and field; in
 * {@link Mode#LENIENT} mode the line is skipped, logged and listed in {@link LoadResult#skipped()}.
 *
 * <p>Loaded items have family "external", no facts and no needed facts; their seed is the line number.
 * Images are converted to {@code TYPE_INT_RGB} (transparent pixels become white) but not resized.
 */
public final class JsonlTasks {

    public enum Mode { STRICT, LENIENT }

    /** A line that was left out, and why. */
    public record SkippedLine(int line, String field, String reason) {
    }

    /** The items of a file and the lines left out of it (always empty in strict mode). */
    public record LoadResult(Path file, List<TaskItem> items, List<SkippedLine> skipped) {

        public LoadResult {
            items = List.copyOf(items);
            skipped = List.copyOf(skipped);
        }
    }

    public static final String FAMILY = "external";

    private static final Logger LOG = LoggerFactory.getLogger(JsonlTasks.class);
    private static final Pattern NUMBER = Pattern.compile("[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?");
    private static final Pattern LETTER = Pattern.compile("\\(?([A-Za-z])\\)?");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Thrown inside the loader for one bad line; becomes an exception or a skip depending on the mode. */
    private static final class BadLine extends Exception {
        private static final long serialVersionUID = 1L;
        final String field;

        BadLine(String field, String reason) {
            super(reason, null, false, false);
            this.field = field;
        }
    }

    private JsonlTasks() {
    }

    /** Loads in strict mode: the first bad line throws. */
    public static LoadResult load(Path file) throws IOException {
        return load(file, Mode.STRICT);
    }

    public static LoadResult load(Path file, Mode mode) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path folder = file.toAbsolutePath().getParent();
        List<TaskItem> items = new ArrayList<>();
        List<SkippedLine> skipped = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            int line = 0;
            while ((text = reader.readLine()) != null) {
                line++;
                if (line == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1); // a byte-order mark is not part of the JSON
                }
                if (text.isBlank()) {
                    continue;
                }
                try {
                    items.add(parseLine(text, line, file, folder));
                } catch (BadLine bad) {
                    if (mode == Mode.STRICT) {
                        throw new TaskFormatException(file, line, bad.field, bad.getMessage());
                    }
                    LOG.warn("skipping {}:{}: field '{}': {}", file, line, bad.field, bad.getMessage());
                    skipped.add(new SkippedLine(line, bad.field, bad.getMessage()));
                }
            }
        }
        return new LoadResult(file, items, skipped);
    }

    private static TaskItem parseLine(String text, int line, Path file, Path folder) throws BadLine {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new BadLine("line", "invalid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadLine("line", "expected a JSON object");
        }
        String imagePath = requiredString(node, "image");
        String question = requiredString(node, "question");
        String answer = answerText(node);
        List<String> choices = choices(node);
        String description = optionalString(node, "description", "");
        String category = optionalString(node, "category", "external");
        String id = optionalString(node, "id", file.getFileName() + ":" + line);
        AnswerType type = answerType(node, answer);
        if (type == AnswerType.YES_NO) {
            answer = answer.toLowerCase(Locale.ROOT);
        }
        if (!choices.isEmpty() && !namesAChoice(answer, choices)) {
            throw new BadLine("answer", "'" + answer + "' is neither one of the choices nor a letter naming one");
        }
        BufferedImage image = readImage(folder.resolve(imagePath));
        return new TaskItem(id, FAMILY, category, image, question, answer, type, choices, description,
                List.of(), List.of(), line);
    }

    private static String requiredString(JsonNode node, String field) throws BadLine {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new BadLine(field, "missing");
        }
        if (!value.isTextual()) {
            throw new BadLine(field, "expected a string, got " + value.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        if (value.asText().isBlank()) {
            throw new BadLine(field, "empty");
        }
        return value.asText();
    }

    private static String optionalString(JsonNode node, String field, String fallback) throws BadLine {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isTextual()) {
            throw new BadLine(field, "expected a string, got " + value.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return value.asText();
    }

    /** A string, or a JSON number written back as text (integral numbers without ".0"). */
    private static String answerText(JsonNode node) throws BadLine {
        JsonNode value = node.get("answer");
        if (value != null && value.isNumber()) {
            return value.isIntegralNumber() ? value.bigIntegerValue().toString() : value.decimalValue().toPlainString();
        }
        return requiredString(node, "answer").trim();
    }

    private static List<String> choices(JsonNode node) throws BadLine {
        JsonNode value = node.get("choices");
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new BadLine("choices", "expected an array of strings");
        }
        List<String> choices = new ArrayList<>();
        for (JsonNode choice : value) {
            if (!choice.isTextual() || choice.asText().isBlank()) {
                throw new BadLine("choices", "every choice must be a non-empty string");
            }
            choices.add(choice.asText());
        }
        if (choices.size() > 26) {
            throw new BadLine("choices", "more than 26 choices cannot be named by letters");
        }
        return choices;
    }

    private static AnswerType answerType(JsonNode node, String answer) throws BadLine {
        String declared = optionalString(node, "answer_type", null);
        boolean isNumber = NUMBER.matcher(answer).matches();
        boolean isYesNo = answer.equalsIgnoreCase("yes") || answer.equalsIgnoreCase("no");
        if (declared == null) {
            return isNumber ? AnswerType.NUMBER : isYesNo ? AnswerType.YES_NO : AnswerType.WORD;
        }
        AnswerType type;
        try {
            type = AnswerType.valueOf(declared.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadLine("answer_type", "expected number, word or yes_no, got '" + declared + "'");
        }
        if (type == AnswerType.NUMBER && !isNumber) {
            throw new BadLine("answer", "'" + answer + "' is not a number but answer_type is number");
        }
        if (type == AnswerType.YES_NO && !isYesNo) {
            throw new BadLine("answer", "'" + answer + "' is not yes or no but answer_type is yes_no");
        }
        return type;
    }

    private static boolean namesAChoice(String answer, List<String> choices) {
        var letter = LETTER.matcher(answer);
        if (letter.matches()) {
            int index = Character.toUpperCase(letter.group(1).charAt(0)) - 'A';
            if (index < choices.size()) {
                return true;
            }
        }
        for (String choice : choices) {
            if (choice.trim().equalsIgnoreCase(answer)) {
                return true;
            }
        }
        return false;
    }

    private static BufferedImage readImage(Path path) throws BadLine {
        if (!Files.isRegularFile(path)) {
            throw new BadLine("image", "no such file: " + path);
        }
        BufferedImage read;
        try {
            read = ImageIO.read(path.toFile());
        } catch (IOException e) {
            throw new BadLine("image", "cannot read " + path + ": " + e.getMessage());
        }
        if (read == null) {
            throw new BadLine("image", "not a PNG or JPEG image: " + path);
        }
        if (read.getType() == BufferedImage.TYPE_INT_RGB) {
            return read;
        }
        BufferedImage rgb = new BufferedImage(read.getWidth(), read.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, rgb.getWidth(), rgb.getHeight());
        g.drawImage(read, 0, 0, null);
        g.dispose();
        return rgb;
    }
}
