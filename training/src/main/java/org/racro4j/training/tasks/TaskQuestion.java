package org.racro4j.training.tasks;

import java.util.List;

/** A question about a scene, its answer, and the indices of the facts the answer depends on. */
record TaskQuestion(String text, String answer, AnswerType answerType, List<Integer> neededFacts) {

    TaskQuestion {
        neededFacts = List.copyOf(neededFacts);
    }
}
