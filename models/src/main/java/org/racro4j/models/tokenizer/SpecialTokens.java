package org.racro4j.models.tokenizer;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The ids of the tokens that play a role in generation: bos, eos, pad and unk (each null when the tokenizer has
 * none), and every added token marked special, by its content.
 *
 * <p>{@code tokenizer.json} lists special tokens but does not say which one is bos or eos; that lives in the
 * {@code tokenizer_config.json} beside it ({@code bos_token}, {@code eos_token}, ...). {@link #resolve} takes
 * those names where given and otherwise recognises the spellings the common model families use. Qwen2 has no
 * bos; its eos is {@code <|endoftext|>} for the base models and {@code <|im_end|>} for the chat models (the
 * config says which); a chat loop should stop on both, which {@link #byContent()} makes easy to look up.
 */
public record SpecialTokens(Integer bos, Integer eos, Integer pad, Integer unk, Map<String, Integer> byContent) {

    /** Spellings recognised when no tokenizer_config.json names the role, in order of preference. */
    static final List<String> BOS_NAMES = List.of("<|begin_of_text|>", "<s>", "<bos>", "<|startoftext|>");
    static final List<String> EOS_NAMES = List.of("<|end_of_text|>", "</s>", "<eos>", "<|endoftext|>");
    static final List<String> PAD_NAMES = List.of("<pad>", "<|pad|>", "[PAD]");
    static final List<String> UNK_NAMES = List.of("<unk>", "[UNK]");

    public SpecialTokens {
        byContent = Collections.unmodifiableMap(new LinkedHashMap<>(byContent));
    }

    /** The id of the special token with this content, or null. */
    public Integer id(String content) {
        return byContent.get(content);
    }

    /**
     * Picks the role ids.
     *
     * @param special    every added token marked special: content → id
     * @param configured role ("bos", "eos", "pad", "unk") → token content, from tokenizer_config.json; may be empty
     * @param modelUnk   the id of the model's own unk token (BPE {@code unk_token}, WordLevel {@code unk_token}), or null
     * @param allTokens  token → id over the whole vocabulary, to resolve configured names that are not special
     */
    static SpecialTokens resolve(Map<String, Integer> special, Map<String, String> configured, Integer modelUnk,
                                 Function<String, Integer> allTokens) {
        Integer bos = pick("bos", BOS_NAMES, special, configured, allTokens);
        Integer eos = pick("eos", EOS_NAMES, special, configured, allTokens);
        Integer pad = pick("pad", PAD_NAMES, special, configured, allTokens);
        Integer unk = modelUnk != null ? modelUnk : pick("unk", UNK_NAMES, special, configured, allTokens);
        return new SpecialTokens(bos, eos, pad, unk, special);
    }

    private static Integer pick(String role, List<String> names, Map<String, Integer> special,
                                Map<String, String> configured, Function<String, Integer> allTokens) {
        String named = configured.get(role);
        if (named != null) {
            Integer id = allTokens.apply(named);
            if (id != null) {
                return id;
            }
        }
        for (String name : names) {
            Integer id = special.get(name);
            if (id != null) {
                return id;
            }
        }
        return null;
    }
}
