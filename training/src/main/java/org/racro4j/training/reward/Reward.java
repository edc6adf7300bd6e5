package org.racro4j.training.reward;

import java.util.List;

import org.racro4j.training.roles.Rollout;

/**
 * A reward: one number per rollout. Implementations see the whole step's rollouts at once so they can batch
 * calls to models (the reasoner answers all captions of a step in a few batched generations).
 */
public interface Reward {
    String name();

    /** One value per rollout, in order; {@code seed} drives any sampling the reward does. */
    double[] score(List<Rollout> rollouts, long seed);
}
