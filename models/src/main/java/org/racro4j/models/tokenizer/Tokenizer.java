package org.racro4j.models.tokenizer;

/**
 * Text to token ids and back, with the ids a Hugging Face {@code tokenizer.json} gives.
 *
 * <p>{@link #encode} adds no special tokens (Hugging Face's {@code add_special_tokens=False}): a prompt that
 * needs {@code <|im_start|>} or a bos token writes it into the text, where it is matched as an added token,
 * or the caller puts the id in front. Implementations are immutable apart from internal caches and may be
 * shared between threads.
 */
public interface Tokenizer {

    /** The ids of {@code text}; special tokens written in the text are matched, none are added. */
    int[] encode(String text);

    /** The text of {@code ids}, special tokens included. */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * The text of {@code ids}; with {@code skipSpecialTokens} the added tokens marked special are left out.
     *
     * @throws IllegalArgumentException for an id that has no token, naming the id and the vocabulary size
     */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** One more than the highest id: every id the tokenizer can produce is below it. */
    int vocabSize();

    /** The id of a token (in its stored form, e.g. {@code "Ġhello"} for byte-level BPE), or null. */
    Integer tokenId(String token);

    /** The token with this id in its stored form, or null when no token has it. */
    String token(int id);

    /** Whether this id is an added token marked special (skipped by {@code decode(ids, true)}). */
    boolean isSpecial(int id);

    /** The bos / eos / pad / unk ids this tokenizer declares, where it declares them. */
    SpecialTokens specialTokens();
}
