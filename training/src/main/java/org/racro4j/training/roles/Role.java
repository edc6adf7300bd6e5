package org.racro4j.training.roles;

/**
 * What the policy is doing in a rollout: describing the image (RACRO's captioner, PRCO's Observer), answering from
 * a caption (PRCO's Solver), or answering from the image alone (outcome-only RL's Answerer).
 */
public enum Role { CAPTIONER, SOLVER, ANSWERER }
