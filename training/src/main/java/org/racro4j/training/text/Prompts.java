package org.racro4j.training.text;

import java.util.List;

/**
 * The prompt templates of the two roles, in the built-in tasks' word-level style (tokens separated by spaces).
 * They follow RACRO's: the captioner is asked to describe the image for the question without answering it,
 * and the reasoner reads caption + question and ends with an answer line.
 *
 * <pre>
 *   captioner / Observer:  [image] describe the image for the question : {question} do not answer it . description :
 *   reasoner  / Solver:    question : {question} description : {caption} answer :    (the Solver after the image)
 *   Answerer:              [image] question : {question} answer :
 *   Reader:                question : {question} description : {description} answer :    (no image)
 *   Thinker:               [image] question : {question} think :
 *   Describer:             [image] describe the image , then answer the question : {question} description :
 * </pre>
 * The Thinker and the Describer write evidence and then an answer line, "{evidence} answer : {answer}" ({@link Explained}).
 * The reasoner's completion is the answer itself ("7", "red", "yes"), so prompt + completion is an answer line
 * the verifiers read ("answer : 7").
 */
public final class Prompts {
    /** Words the templates add to the tasks' vocabulary. */
    public static final List<String> WORDS = List.of("describe", "for", "question", "description", "do", "not", "think", "then");

    private Prompts() {}

    public static String captioner(String question) {
        return "describe the image for the question : " + question + " do not answer it . description :";
    }

    public static String reasoner(String description, String question) {
        String d = description == null ? "" : description.strip();
        return "question : " + question + (d.isEmpty() ? " description :" : " description : " + d) + " answer :";
    }

    /** The prompt of the policy answering from the image alone (no caption). */
    public static String direct(String question) {
        return "question : " + question + " answer :";
    }

    /** The Thinker's prompt: think (the reward study's vanilla design), then answer, after the image. */
    public static String think(String question) {
        return "question : " + question + " think :";
    }

    /** The Describer's prompt: describe the image, then answer (the reward study's mixture design), after the image. */
    public static String describeThenAnswer(String question) {
        return "describe the image , then answer the question : " + question + " description :";
    }

    /** The text the verifiers read for a reasoner completion: the prompt's answer line plus the completion. */
    public static String answerLine(String completion) {
        return "answer : " + completion.strip();
    }
}
