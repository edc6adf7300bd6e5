package org.racro4j.training.verify;

/**
 * The outcome of checking one response.
 *
 * @param correct   whether the extracted answer equals the reference answer
 * @param extracted the answer text found in the response (empty when none was found)
 * @param reason    how it was found and why it does or does not match, for logs and debugging
 */
public record Verdict(boolean correct, String extracted, String reason) {
}
