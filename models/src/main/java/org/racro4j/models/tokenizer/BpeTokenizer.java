package org.racro4j.models.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE tokenizer (GPT-2, Qwen2, Llama 3 and their kin), encoding as Hugging Face's
 * {@code Tokenizer::encode(text, add_special_tokens=false)} does:
 * <ol>
 *   <li>added tokens with {@code normalized=false} are cut out of the raw text;</li>
 *   <li>each remaining piece is normalized (NFC, when the file says so), and added tokens with
 *       {@code normalized=true} are cut out of it;</li>
 *   <li>the remaining pieces are pre-tokenized (Split regexes, ByteLevel) and each piece is BPE-encoded.</li>
 * </ol>
 * Decoding maps every token back to its bytes (added tokens included) and reads them as UTF-8, replacing
 * malformed bytes as Rust does. Build one with {@link Tokenizers#load}.
 */
public final class BpeTokenizer implements Tokenizer {
    private final BpeModel model;
    private final boolean nfc;
    private final PreTokenizer preTokenizer;
    private final AddedTokenMatcher rawAddedTokens;
    private final AddedTokenMatcher normalizedAddedTokens;
    private final Map<String, Integer> vocab;
    private final Map<String, Integer> addedByContent;
    /** Every token by id (model vocabulary and added tokens); null where no token has the id. */
    private final String[] tokens;
    /** The bytes each id decodes to; null where no token has the id. */
    private final byte[][] tokenBytes;
    private final boolean[] special;
    private final SpecialTokens specialTokens;

    BpeTokenizer(BpeModel model, Map<String, Integer> vocab, List<AddedToken> addedTokens, boolean nfc,
                 PreTokenizer preTokenizer, Map<String, String> configuredRoles, Integer unkId) {
        this.model = model;
        this.vocab = vocab;
        this.nfc = nfc;
        this.preTokenizer = preTokenizer;

        List<AddedToken> raw = new ArrayList<>();
        List<AddedToken> normalized = new ArrayList<>();
        for (AddedToken token : addedTokens) {
            (token.normalized() ? normalized : raw).add(token);
        }
        // Hugging Face puts the special tokens first in its automaton; with equal contents the first one wins.
        raw.sort((a, b) -> Boolean.compare(b.special(), a.special()));
        normalized.sort((a, b) -> Boolean.compare(b.special(), a.special()));
        this.rawAddedTokens = new AddedTokenMatcher(raw, AddedToken::content);
        // A normalized token is looked for in normalized text, so its content is normalized the same way.
        this.normalizedAddedTokens = new AddedTokenMatcher(normalized, t -> normalize(t.content()));

        int size = 0;
        for (int id : vocab.values()) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken token : addedTokens) {
            size = Math.max(size, token.id() + 1);
        }
        this.tokens = new String[size];
        this.tokenBytes = new byte[size][];
        this.special = new boolean[size];
        vocab.forEach((token, id) -> tokens[id] = token);
        Map<String, Integer> added = new HashMap<>();
        Map<String, Integer> specialByContent = new LinkedHashMap<>();
        for (AddedToken token : addedTokens) {
            tokens[token.id()] = token.content();
            added.put(token.content(), token.id());
            if (token.special()) {
                special[token.id()] = true;
                specialByContent.put(token.content(), token.id());
            }
        }
        for (int id = 0; id < size; id++) {
            if (tokens[id] != null) {
                tokenBytes[id] = ByteLevel.decodeToken(tokens[id]);
            }
        }
        this.addedByContent = Collections.unmodifiableMap(added);
        this.specialTokens = SpecialTokens.resolve(specialByContent, configuredRoles, unkId, this::tokenId);
    }

    @Override
    public int[] encode(String text) {
        IntList ids = new IntList();
        for (AddedTokenMatcher.Segment raw : rawAddedTokens.split(text)) {
            if (raw.token() != null) {
                ids.add(raw.token().id());
                continue;
            }
            for (AddedTokenMatcher.Segment piece : normalizedAddedTokens.split(normalize(raw.text()))) {
                if (piece.token() != null) {
                    ids.add(piece.token().id());
                } else {
                    preTokenizer.split(piece.text(), word -> model.encode(word, ids));
                }
            }
        }
        return ids.toArray();
    }

    /**
     * The pieces {@link #encode} hands to the BPE model, with each added token as a piece of its own: what the
     * normalizer, the added-token matching and the pre-tokenizer make of {@code text}. For tests and debugging.
     */
    public List<String> preTokenize(String text) {
        List<String> pieces = new ArrayList<>();
        for (AddedTokenMatcher.Segment raw : rawAddedTokens.split(text)) {
            if (raw.token() != null) {
                pieces.add(raw.text());
                continue;
            }
            for (AddedTokenMatcher.Segment piece : normalizedAddedTokens.split(normalize(raw.text()))) {
                if (piece.token() != null) {
                    pieces.add(piece.text());
                } else {
                    preTokenizer.split(piece.text(), pieces::add);
                }
            }
        }
        return pieces;
    }

    BpeModel model() {
        return model;
    }

    /** The BPE ids of one piece on its own, without added-token matching, normalization or pre-tokenization. */
    int[] encodePiece(String piece) {
        IntList ids = new IntList();
        model.encode(piece, ids);
        return ids.toArray();
    }

    private String normalize(String text) {
        if (!nfc || Normalizer.isNormalized(text, Normalizer.Form.NFC)) {
            return text;
        }
        return Normalizer.normalize(text, Normalizer.Form.NFC);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        byte[] bytes = new byte[Math.max(16, ids.length * 4)];
        int length = 0;
        for (int id : ids) {
            if (id < 0 || id >= tokens.length || tokens[id] == null) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (vocab size "
                        + tokens.length + (id >= 0 && id < tokens.length ? ", and no token has this id)" : ")"));
            }
            if (skipSpecialTokens && special[id]) {
                continue;
            }
            byte[] b = tokenBytes[id];
            if (length + b.length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + b.length));
            }
            System.arraycopy(b, 0, bytes, length, b.length);
            length += b.length;
        }
        return Utf8.decodeLossy(bytes, length);
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public Integer tokenId(String token) {
        Integer added = addedByContent.get(token);
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
