package org.racro4j.models.chat;

import java.util.List;

/** The {@code loop} variable inside a for loop: index, index0, revindex, revindex0, first, last, length, ... */
final class LoopState {
    private final List<Object> items;
    int index0;

    LoopState(List<Object> items) {
        this.items = items;
    }

    /** The attribute {@code name}, or MISSING. */
    Object attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index0" -> (long) index0;
            case "index" -> (long) index0 + 1;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> 1L;
            case "depth0" -> 0L;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Undefined("there is no previous item");
            case "nextitem" -> index0 < n - 1 ? items.get(index0 + 1) : new Undefined("there is no next item");
            case "cycle" -> (JinjaCallable) (args, kwargs) -> {
                if (args.isEmpty()) {
                    throw new JinjaError("no items for cycling given");
                }
                return args.get(index0 % args.size());
            };
            default -> Values.MISSING;
        };
    }
}
