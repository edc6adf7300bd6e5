package org.racro4j.training.tasks;

import java.awt.image.BufferedImage;
import java.util.List;

/** What a family generator produces for one item: the rendered image, its facts and the question. */
record TaskContent(BufferedImage image, List<String> facts, TaskQuestion question) {

    TaskContent {
        facts = List.copyOf(facts);
    }
}
