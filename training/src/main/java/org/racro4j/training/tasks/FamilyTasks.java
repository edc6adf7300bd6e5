package org.racro4j.training.tasks;

import java.util.SplittableRandom;

/** Samples a scene of one family, asks a question of the given category about it and renders it. */
interface FamilyTasks {

    /** How many scenes to try before giving up on a category (a generator bug: every category is cheap). */
    int MAX_SCENE_ATTEMPTS = 1000;

    TaskContent generate(TaskCategory category, SplittableRandom random, int imageSize);
}
