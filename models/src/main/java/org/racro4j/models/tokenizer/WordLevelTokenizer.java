package org.racro4j.models.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A closed-vocabulary tokenizer for the built-in tasks: text is split on whitespace and each word is looked up,
 * unknown words becoming {@code <unk>}. Special tokens ({@code <pad>}, {@code <unk>}, {@code <bos>},
 * {@code <eos>}, and extras such as {@code <image>}) are matched in the text first, so {@code "a<image>b"} is
 * three tokens as it is for Hugging Face.
 *
 * <p>It saves to and loads from a standard tokenizer.json (model {@code WordLevel}, pre-tokenizer
 * {@code WhitespaceSplit}, no decoder, so that Hugging Face joins decoded tokens with single spaces, as
 * {@link #decode} does), so every model directory carries a tokenizer.json whatever tokenizer it uses.
 */
public final class WordLevelTokenizer implements Tokenizer {
    public static final String PAD = "<pad>";
    public static final String UNK = "<unk>";
    public static final String BOS = "<bos>";
    public static final String EOS = "<eos>";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, Integer> vocab;
    private final Map<String, Integer> specialIds = new HashMap<>();
    private final String[] tokens;
    private final boolean[] special;
    private final List<AddedToken> specials;
    private final AddedTokenMatcher specialMatcher;
    private final String unkToken;
    private final Integer unkId;
    private final SpecialTokens specialTokens;

    private WordLevelTokenizer(Map<String, Integer> vocab, List<AddedToken> specials, String unkToken,
                               Map<String, String> configuredRoles) {
        this.vocab = Collections.unmodifiableMap(new LinkedHashMap<>(vocab));
        this.specials = List.copyOf(specials);
        this.unkToken = unkToken;
        this.unkId = vocab.get(unkToken);
        int size = 0;
        for (int id : vocab.values()) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken token : specials) {
            size = Math.max(size, token.id() + 1);
        }
        this.tokens = new String[size];
        this.special = new boolean[size];
        vocab.forEach((token, id) -> tokens[id] = token);
        Map<String, Integer> specialByContent = new LinkedHashMap<>();
        for (AddedToken token : specials) {
            tokens[token.id()] = token.content();
            specialIds.put(token.content(), token.id());
            if (token.special()) {
                special[token.id()] = true;
                specialByContent.put(token.content(), token.id());
            }
        }
        this.specialMatcher = new AddedTokenMatcher(this.specials, AddedToken::content);
        this.specialTokens = SpecialTokens.resolve(specialByContent, configuredRoles, unkId, this::tokenId);
    }

    /** A tokenizer over {@code words} with {@code <pad>}=0, {@code <unk>}=1, {@code <bos>}=2, {@code <eos>}=3. */
    public static WordLevelTokenizer of(List<String> words) {
        return of(words, List.of());
    }

    /**
     * A tokenizer with ids {@code <pad>}=0, {@code <unk>}=1, {@code <bos>}=2, {@code <eos>}=3, then
     * {@code extraSpecials} (e.g. {@code <image>}), then {@code words} in their order; repeated words keep their
     * first id.
     *
     * @throws IllegalArgumentException for an empty word or one containing whitespace (it could never be produced
     *                                  by the whitespace split)
     */
    public static WordLevelTokenizer of(List<String> words, List<String> extraSpecials) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<AddedToken> specials = new ArrayList<>();
        List<String> specialNames = new ArrayList<>(List.of(PAD, UNK, BOS, EOS));
        specialNames.addAll(extraSpecials);
        for (String name : specialNames) {
            if (!vocab.containsKey(name)) {
                checkWord(name);
                vocab.put(name, vocab.size());
                specials.add(AddedToken.special(vocab.get(name), name));
            }
        }
        for (String word : words) {
            if (!vocab.containsKey(word)) {
                checkWord(word);
                vocab.put(word, vocab.size());
            }
        }
        return new WordLevelTokenizer(vocab, specials, UNK, Map.of());
    }

    private static void checkWord(String word) {
        if (word.isEmpty() || word.codePoints().anyMatch(UnicodeClasses::isWhiteSpace)) {
            throw new IllegalArgumentException("a word-level token must be non-empty and without whitespace: "
                    + TokenizerJson.quote(word));
        }
    }

    /** Reads a tokenizer.json whose model is WordLevel (see {@link Tokenizers#load}). */
    static WordLevelTokenizer read(TokenizerJson json, Map<String, String> configuredRoles) {
        JsonNode model = json.model();
        Map<String, Integer> vocab = json.vocab();
        List<AddedToken> specials = json.addedTokens(vocab);
        if (json.nfcNormalizer()) {
            throw json.error("a WordLevel tokenizer with a normalizer is not supported");
        }
        JsonNode pre = TokenizerJson.optional(json.root, "pre_tokenizer");
        if (pre == null || !"WhitespaceSplit".equals(pre.path("type").asText())) {
            throw json.error("pre_tokenizer " + pre + " is not supported for WordLevel (only WhitespaceSplit)");
        }
        JsonNode decoder = TokenizerJson.optional(json.root, "decoder");
        if (decoder != null) {
            throw json.error("decoder " + decoder + " is not supported for WordLevel (only none)");
        }
        JsonNode unk = TokenizerJson.optional(model, "unk_token");
        return new WordLevelTokenizer(vocab, specials, unk == null ? UNK : unk.asText(), configuredRoles);
    }

    /** Writes this tokenizer as a Hugging Face tokenizer.json (atomically: a temporary file renamed into place). */
    public void save(Path tokenizerJson) {
        write(toJson(), tokenizerJson);
    }

    /**
     * This tokenizer as the tree of a Hugging Face tokenizer.json: model {@code WordLevel} with its vocab and
     * {@code unk_token}, pre-tokenizer {@code WhitespaceSplit}, the special tokens in {@code added_tokens}, and
     * no normalizer, post-processor or decoder (JSON nulls). {@link #save} writes exactly this tree.
     */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (AddedToken token : specials) {
            added.addObject()
                    .put("id", token.id())
                    .put("content", token.content())
                    .put("single_word", token.singleWord())
                    .put("lstrip", token.lstrip())
                    .put("rstrip", token.rstrip())
                    .put("normalized", token.normalized())
                    .put("special", token.special());
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "WhitespaceSplit");
        root.putNull("post_processor");
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocabNode = model.putObject("vocab");
        vocab.forEach(vocabNode::put);
        model.put("unk_token", unkToken);
        return root;
    }

    /** Writes a tokenizer.json tree, indented as {@link #save} writes it, atomically (a temporary file renamed). */
    public static void write(ObjectNode tokenizerJsonTree, Path tokenizerJson) {
        try {
            Path dir = tokenizerJson.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".tokenizer", ".json.tmp");
            try {
                JSON.writeValue(tmp.toFile(), tokenizerJsonTree);
                Files.move(tmp, tokenizerJson, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tokenizerJson, e);
        }
    }

    /**
     * @throws IllegalArgumentException for a word outside the vocabulary when the vocabulary has no unk token
     */
    @Override
    public int[] encode(String text) {
        IntList ids = new IntList();
        for (AddedTokenMatcher.Segment segment : specialMatcher.split(text)) {
            if (segment.token() != null) {
                ids.add(segment.token().id());
                continue;
            }
            String s = segment.text();
            int i = 0;
            while (i < s.length()) {
                while (i < s.length() && UnicodeClasses.isWhiteSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                int start = i;
                while (i < s.length() && !UnicodeClasses.isWhiteSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                if (i > start) {
                    ids.add(wordId(s.substring(start, i)));
                }
            }
        }
        return ids.toArray();
    }

    private int wordId(String word) {
        Integer id = vocab.get(word);
        if (id != null) {
            return id;
        }
        if (unkId == null) {
            throw new IllegalArgumentException("word " + TokenizerJson.quote(word)
                    + " is not in the vocabulary and the unk token " + TokenizerJson.quote(unkToken) + " is not either");
        }
        return unkId;
    }

    /** The tokens joined with single spaces (Hugging Face's behaviour without a decoder). */
    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            if (id < 0 || id >= tokens.length || tokens[id] == null) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (vocab size "
                        + tokens.length + ")");
            }
            if (skipSpecialTokens && special[id]) {
                continue;
            }
            if (text.length() > 0) {
                text.append(' ');
            }
            text.append(tokens[id]);
        }
        return text.toString();
    }

    /** Token → id over the whole vocabulary, in id order. */
    public Map<String, Integer> vocab() {
        return vocab;
    }

    /** The special tokens, in id order as saved. */
    public List<AddedToken> specials() {
        return specials;
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public Integer tokenId(String token) {
        Integer added = specialIds.get(token);
        return added != null ? added : vocab.get(token);
    }

    @Override
    public String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    @Override
    public SpecialTokens specialTokens() {
        return specialTokens;
    }
}
