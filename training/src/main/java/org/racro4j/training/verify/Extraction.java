package org.racro4j.training.verify;

/** An answer found in a response, and where it was found. */
public record Extraction(String text, Method method) {

    /** Where the answer came from, most explicit first. */
    public enum Method {
        /** the last {@code \boxed{...}} */
        BOXED,
        /** the last {@code answer : x}, {@code Answer: x} or {@code the answer is x} */
        ANSWER_MARKER,
        /** the last choice letter such as {@code (B)}, {@code B)} or {@code B.} (multiple choice only) */
        CHOICE_LETTER,
        /** yes/no as the first word of the response (yes/no questions only) */
        LEADING_YES_NO,
        /** the last number in the response (number questions only) */
        LAST_NUMBER,
        /** a response of at most three words is the answer itself */
        WHOLE_RESPONSE
    }
}
