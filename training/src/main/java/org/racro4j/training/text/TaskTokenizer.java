package org.racro4j.training.text;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.training.tasks.TaskVocabulary;

/** The word-level tokenizer of the built-in tasks: the tasks' vocabulary plus the prompt templates' words. */
public final class TaskTokenizer {
    private TaskTokenizer() {}

    public static WordLevelTokenizer create() {
        LinkedHashSet<String> words = new LinkedHashSet<>(TaskVocabulary.words());
        words.addAll(Prompts.WORDS);
        return WordLevelTokenizer.of(new ArrayList<>(words));
    }

    /** Words of a text the tokenizer does not know (they would become &lt;unk&gt;). */
    public static List<String> unknown(WordLevelTokenizer tok, String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.strip().split("\\s+")) if (!w.isEmpty() && tok.tokenId(w) == null) out.add(w);
        return out;
    }
}
