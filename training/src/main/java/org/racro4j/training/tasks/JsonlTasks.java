package org.racro4j.training.tasks;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.RenderingHints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.racro4j.training.text.Utf8Files;
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
 * Images are converted to {@code TYPE_INT_RGB} (transparent pixels become white). Given the model's image size, each
 * image is kept at that size (scaled as the captioner's image processor scales, so what the model sees is the same);
 * without one, at its own size. Either way an image larger than {@value #MAX_DECODED_SIDE} pixels a side is decoded
 * at every n-th row and column only, so that a dataset of huge images is never held at full size in memory.
 *
 * <p>The file must be UTF-8; a byte that is not is an error naming the file and line, in either mode.
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

    /**
     * The longest side an image is decoded at. Larger images are subsampled while they are decoded (the PNG and JPEG
     * readers skip the other rows and columns), so memory stays bounded whatever the file declares: 20000 x 20000
     * pixels would be 1.6 GB as RGB.
     */
    public static final int MAX_DECODED_SIDE = 1024;
    /** Images declaring more pixels than this are refused: even read at a fraction, every row must be decompressed. */
    static final long MAX_PIXELS = 1L << 30;

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

    /** Loads in strict mode: the first bad line throws. Images keep their size (see {@link #MAX_DECODED_SIDE}). */
    public static LoadResult load(Path file) throws IOException {
        return load(file, Mode.STRICT);
    }

    /** Images keep their size (see {@link #MAX_DECODED_SIDE}). */
    public static LoadResult load(Path file, Mode mode) throws IOException {
        return load(file, mode, 0);
    }

    /**
     * @param imageSize the side every image is scaled to (the model's image size), or 0 to keep each image's size
     */
    public static LoadResult load(Path file, Mode mode, int imageSize) throws IOException {
        if (imageSize < 0) throw new IllegalArgumentException("image size must be >= 0, got " + imageSize);
        System.setProperty("java.awt.headless", "true");
        Path folder = file.toAbsolutePath().getParent();
        List<TaskItem> items = new ArrayList<>();
        List<SkippedLine> skipped = new ArrayList<>();
        String content = Utf8Files.read(file);
        int line = 0;
        for (String text : (Iterable<String>) content.lines()::iterator) {
            line++;
            if (line == 1 && text.startsWith("\uFEFF")) {
                text = text.substring(1); // a byte-order mark is not part of the JSON
            }
            if (text.isBlank()) {
                continue;
            }
            try {
                items.add(parseLine(text, line, file, folder, imageSize));
            } catch (BadLine bad) {
                if (mode == Mode.STRICT) {
                    throw new TaskFormatException(file, line, bad.field, bad.getMessage());
                }
                LOG.warn("skipping {}:{}: field '{}': {}", file, line, bad.field, bad.getMessage());
                skipped.add(new SkippedLine(line, bad.field, bad.getMessage()));
            }
        }
        return new LoadResult(file, items, skipped);
    }

    private static TaskItem parseLine(String text, int line, Path file, Path folder, int imageSize) throws BadLine {
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
        BufferedImage image = readImage(folder.resolve(imagePath), imageSize);
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

    private static BufferedImage readImage(Path path, int imageSize) throws BadLine {
        if (!Files.isRegularFile(path)) {
            throw new BadLine("image", "no such file: " + path);
        }
        BufferedImage read;
        try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            Iterator<ImageReader> readers = in == null ? Collections.emptyIterator() : ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new BadLine("image", "not a PNG or JPEG image: " + path);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                read = readSubsampled(reader, path);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            // image decoders throw unchecked exceptions too on some damaged files
            throw new BadLine("image", "cannot read " + path + ": " + firstLine(e));
        }
        BufferedImage rgb = toRgb(read);
        if (imageSize == 0 || (rgb.getWidth() == imageSize && rgb.getHeight() == imageSize)) {
            return rgb;
        }
        // As ImageProcessor scales (bilinear, to a square): an image small enough to be decoded whole then reaches
        // the model exactly as it did when it was kept at full size.
        BufferedImage scaled = new BufferedImage(imageSize, imageSize, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(rgb, 0, 0, imageSize, imageSize, null);
        g.dispose();
        return scaled;
    }

    /** The first image of the file, every step-th row and column when it is larger than {@link #MAX_DECODED_SIDE}. */
    private static BufferedImage readSubsampled(ImageReader reader, Path path) throws IOException, BadLine {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if ((long) width * height > MAX_PIXELS) {
            throw new BadLine("image", path + " is " + width + " x " + height + " pixels, more than " + MAX_PIXELS + " in all");
        }
        int step = (Math.max(width, height) + MAX_DECODED_SIDE - 1) / MAX_DECODED_SIDE;
        ImageReadParam param = reader.getDefaultReadParam();
        if (step > 1) {
            param.setSourceSubsampling(step, step, 0, 0);
        }
        return reader.read(0, param);
    }

    /** TYPE_INT_RGB, transparent pixels white. */
    private static BufferedImage toRgb(BufferedImage read) {
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

    private static String firstLine(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse("");
    }
}
