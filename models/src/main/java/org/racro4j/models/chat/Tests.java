package org.racro4j.models.chat;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Jinja2's built-in tests, used as {@code x is name} or {@code x is name(arg)}. */
final class Tests {
    private Tests() {
    }

    static boolean known(String name) {
        return switch (name) {
            case "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "true", "false",
                 "mapping", "sequence", "iterable", "callable", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan",
                 "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "divisibleby", "even", "odd",
                 "sameas", "lower", "upper", "escaped", "filter", "test" -> true;
            default -> false;
        };
    }

    static boolean apply(String name, Object v, List<Object> args) {
        switch (name) {
            case "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "true", "false",
                 "mapping", "sequence", "iterable", "callable", "escaped", "lower", "upper", "even", "odd" -> {
                if (!args.isEmpty()) {
                    throw new JinjaError("test '" + name + "' takes no arguments (" + args.size() + " given)");
                }
                return noArgument(name, v);
            }
            default -> {
                return withArgument(name, v, one(name, args));
            }
        }
    }

    private static boolean noArgument(String name, Object v) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "string" -> v instanceof String;
            case "number" -> v instanceof Long || v instanceof Double || v instanceof Boolean;
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "mapping" -> v instanceof Map;
            // Undefined has a length and __getitem__ in Jinja2, so it passes as a sequence and an iterable
            case "sequence" -> v instanceof List || v instanceof String || v instanceof Map || v instanceof Undefined;
            case "iterable" -> v instanceof List || v instanceof String || v instanceof Map || v instanceof Undefined;
            case "callable" -> v instanceof JinjaCallable;
            case "escaped" -> false;
            case "lower" -> cased(Values.str(v), false);
            case "upper" -> cased(Values.str(v), true);
            case "even" -> Values.equal(Values.binary("%", v, 2L), 0L);
            default -> Values.equal(Values.binary("%", v, 2L), 1L); // odd
        };
    }

    private static boolean withArgument(String name, Object v, Object other) {
        return switch (name) {
            case "eq", "equalto", "==" -> Values.equal(v, other);
            case "ne", "!=" -> !Values.equal(v, other);
            case "lt", "lessthan", "<" -> Values.compare(v, other, "<") < 0;
            case "le", "<=" -> Values.compare(v, other, "<=") <= 0;
            case "gt", "greaterthan", ">" -> Values.compare(v, other, ">") > 0;
            case "ge", ">=" -> Values.compare(v, other, ">=") >= 0;
            case "in" -> Values.contains(other, v);
            case "sameas" -> sameAs(v, other);
            case "divisibleby" -> Values.equal(Values.binary("%", v, other), 0L);
            case "filter" -> Filters.known(Args.string("test 'filter'", other, "name"));
            case "test" -> known(Args.string("test 'test'", other, "name"));
            default -> throw new JinjaError("no test named '" + name + "'");
        };
    }

    /**
     * Python's {@code is}: identity for lists, dicts and namespaces; for None, booleans, numbers and strings, the
     * same type and value (what CPython answers for the small ints, booleans and short strings templates compare).
     */
    private static boolean sameAs(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a instanceof Boolean || a instanceof Long || a instanceof Double || a instanceof String) {
            return a.getClass() == b.getClass() && a.equals(b);
        }
        return a == b;
    }

    /** Python's str.isupper()/islower(): some cased character, and every cased one in that case. */
    private static boolean cased(String s, boolean upper) {
        boolean any = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp)) {
                if (upper ? !Character.isUpperCase(cp) : !Character.isLowerCase(cp)) {
                    return false;
                }
                any = true;
            }
        }
        return any;
    }

    private static Object one(String name, List<Object> args) {
        if (args.size() != 1) {
            throw new JinjaError("test '" + name + "' takes 1 argument (" + args.size() + " given)");
        }
        return args.get(0);
    }
}
