package org.racro4j.models.generation;

/**
 * One row's continuation: the new tokens (including the stop token if one was hit), the log-probability of each
 * under the distribution it was drawn from (softmax of logits / temperature; plain softmax when greedy), and
 * whether a stop token ended it.
 */
public record Generated(int[] tokens, float[] logProbs, boolean stopped) {
    public double sumLogProb() {
        double s = 0;
        for (float f : logProbs) s += f;
        return s;
    }
}
