package org.racro4j.training.roles;

/** What the policy is doing in a rollout: describing the image (captioner / PRCO Observer) or answering (PRCO Solver). */
public enum Role { CAPTIONER, SOLVER }
