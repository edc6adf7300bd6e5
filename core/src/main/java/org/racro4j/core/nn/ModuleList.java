package org.racro4j.core.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/** Child modules named "0", "1", ... — how PyTorch's nn.ModuleList appears in state dicts ("layers.0.weight"). */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    public ModuleList(List<M> modules) {
        for (M m : modules) add(m);
    }

    public M add(M module) {
        registerModule(Integer.toString(items.size()), module);
        items.add(module);
        return module;
    }

    public M get(int i) {
        return items.get(i);
    }

    public int size() {
        return items.size();
    }

    public List<M> asList() {
        return Collections.unmodifiableList(items);
    }

    @Override
    public Iterator<M> iterator() {
        return asList().iterator();
    }
}
