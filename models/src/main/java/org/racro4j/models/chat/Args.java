package org.racro4j.models.chat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Binds a call's positional and keyword arguments to parameter names, as Python does; absent ones are MISSING. */
final class Args {
    private Args() {
    }

    static Object[] bind(String function, List<Object> args, Map<String, Object> kwargs, String... params) {
        if (args.size() > params.length) {
            throw new JinjaError(function + " takes at most " + params.length + " argument"
                                 + (params.length == 1 ? "" : "s") + " (" + args.size() + " given)");
        }
        Object[] bound = new Object[params.length];
        Arrays.fill(bound, Values.MISSING);
        for (int i = 0; i < args.size(); i++) {
            bound[i] = args.get(i);
        }
        for (Map.Entry<String, Object> e : kwargs.entrySet()) {
            int at = Arrays.asList(params).indexOf(e.getKey());
            if (at < 0) {
                throw new JinjaError(function + " got an unexpected keyword argument '" + e.getKey() + "'");
            }
            if (bound[at] != Values.MISSING) {
                throw new JinjaError(function + " got multiple values for argument '" + e.getKey() + "'");
            }
            bound[at] = e.getValue();
        }
        return bound;
    }

    static Object or(Object bound, Object fallback) {
        return bound == Values.MISSING ? fallback : bound;
    }

    static Object required(String function, Object bound, String name) {
        if (bound == Values.MISSING) {
            throw new JinjaError(function + " is missing its argument '" + name + "'");
        }
        return bound;
    }

    static String string(String function, Object v, String name) {
        if (v instanceof String s) {
            return s;
        }
        throw new JinjaError(function + ": '" + name + "' must be a string, not " + Values.typeName(v));
    }
}
