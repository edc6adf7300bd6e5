package org.racro4j.training.roles;

/** One answer written from a caption: the completion text, and the tokens (context and response) that produced it. */
public record Answer(String text, int[] context, int[] tokens, boolean stopped) {}
