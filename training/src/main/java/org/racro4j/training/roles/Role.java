package org.racro4j.training.roles;

/**
 * What the policy is doing in a rollout. It writes a caption (RACRO's captioner, PRCO's Observer), answers from a
 * caption (PRCO's Solver), answers from the image alone (outcome-only RL's Answerer), answers from a description
 * alone, no image (the Reader: the text half of "image versus description", and a frozen copy of it is the reward
 * study's text reasoner), or answers from the image after writing evidence first: the Thinker (think, then answer)
 * and the Describer (describe the image, then answer), the response forms of the reward study's vanilla and mixture
 * designs.
 */
public enum Role {
    CAPTIONER, SOLVER, ANSWERER, READER, THINKER, DESCRIBER;

    /** Whether the rollout's response is evidence followed by an answer line ({@link org.racro4j.training.text.Explained}). */
    public boolean explains() {
        return this == THINKER || this == DESCRIBER;
    }

    /** Whether the rollout's prompt comes after the image's tokens. */
    public boolean seesImage() {
        return this != READER;
    }
}
