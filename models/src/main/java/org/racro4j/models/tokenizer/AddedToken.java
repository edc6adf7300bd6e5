package org.racro4j.models.tokenizer;

/**
 * One entry of {@code added_tokens} in tokenizer.json: a token matched in the text before the model sees it.
 *
 * @param singleWord only match where the token is not part of a longer word
 * @param lstrip     the match swallows the whitespace before it
 * @param rstrip     the match swallows the whitespace after it
 * @param normalized match against the normalized text (and the normalized content) instead of the raw text
 * @param special    a control token: skipped by {@code decode(ids, true)}
 */
public record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                         boolean normalized, boolean special) {

    /** A special control token as tokenizers add them: matched on the raw text, nothing stripped. */
    public static AddedToken special(int id, String content) {
        return new AddedToken(id, content, false, false, false, false, true);
    }
}
