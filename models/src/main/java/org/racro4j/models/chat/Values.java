package org.racro4j.models.chat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Python's semantics for the values a template handles, which the templates were written against: truthiness,
 * {@code str()} and {@code repr()}, {@code ==} across int/float/bool, ordering, arithmetic, {@code in}, and
 * {@code json.dumps} for the {@code tojson} filter.
 *
 * <p>Values are Java objects: {@code null} (None), Boolean, Long (int), Double (float), String, List (list and
 * tuple), Map (dict, insertion-ordered), plus the interpreter's {@link Undefined}, {@link Namespace},
 * {@link LoopState} and {@link JinjaCallable}. {@link #normalize} brings other Java values (Integer, arrays,
 * Jackson trees ...) into that set.
 */
final class Values {
    private Values() {
    }

    // ---- bringing Java values in ----

    static Object normalize(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double
            || v instanceof Undefined || v instanceof Namespace || v instanceof JinjaCallable || v instanceof LoopState) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof Character c) {
            return c.toString();
        }
        if (v instanceof CharSequence cs) {
            return cs.toString();
        }
        if (v instanceof JsonNode node) {
            return fromJson(node);
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(normalize(e.getKey()), normalize(e.getValue()));
            }
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            for (Object o : c) {
                out.add(normalize(o));
            }
            return out;
        }
        if (v instanceof Object[] array) {
            return normalize(List.of(array));
        }
        throw new IllegalArgumentException("a template value cannot be a " + v.getClass().getName()
                                           + " (use null, Boolean, numbers, String, List or Map)");
    }

    static Object fromJson(JsonNode node) {
        switch (node.getNodeType()) {
            case NULL, MISSING -> {
                return null;
            }
            case BOOLEAN -> {
                return node.booleanValue();
            }
            case NUMBER -> {
                return node.isIntegralNumber() ? (Object) node.longValue() : (Object) node.doubleValue();
            }
            case STRING -> {
                return node.textValue();
            }
            case ARRAY -> {
                List<Object> out = new ArrayList<>(node.size());
                node.forEach(n -> out.add(fromJson(n)));
                return out;
            }
            case OBJECT -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                node.fields().forEachRemaining(e -> out.put(e.getKey(), fromJson(e.getValue())));
                return out;
            }
            default -> throw new IllegalArgumentException("a template value cannot be JSON " + node.getNodeType());
        }
    }

    // ---- type names, truthiness, str, repr ----

    static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long) {
            return "int";
        }
        if (v instanceof Double) {
            return "float";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof Namespace) {
            return "Namespace";
        }
        if (v instanceof LoopState) {
            return "LoopContext";
        }
        return "function";
    }

    /** How Jinja2 names an object in "... has no attribute ..." messages. */
    static String objectDescription(Object v) {
        return v == null ? "None" : typeName(v) + " object";
    }

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Long l) {
            return l != 0;
        }
        if (v instanceof Double d) {
            return d != 0.0;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    /** Python's {@code str(v)}, which is what {@code {{ v }}} prints. */
    static String str(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Undefined) {
            return "";
        }
        return repr(v);
    }

    static String repr(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Long l) {
            return l.toString();
        }
        if (v instanceof Double d) {
            return floatRepr(d);
        }
        if (v instanceof String s) {
            return stringRepr(s);
        }
        if (v instanceof List<?> list) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    b.append(", ");
                }
                b.append(repr(list.get(i)));
            }
            return b.append(']').toString();
        }
        if (v instanceof Map<?, ?> map) {
            StringBuilder b = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    b.append(", ");
                }
                first = false;
                b.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof Namespace ns) {
            return "<Namespace " + repr(ns.attributes) + ">";
        }
        return "<" + typeName(v) + ">";
    }

    /** Python's {@code repr(float)}: the shortest digits that read back to the same double. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        String sci = null;
        for (int p = 1; p <= 17; p++) {
            sci = String.format(Locale.ROOT, "%." + (p - 1) + "e", d);
            if (Double.parseDouble(sci) == d) {
                break;
            }
        }
        int e = sci.indexOf('e');
        String mantissa = sci.substring(0, e);
        int exponent = Integer.parseInt(sci.substring(e + 1));
        boolean negative = mantissa.startsWith("-");
        String digits = mantissa.replace("-", "").replace(".", "");
        while (digits.length() > 1 && digits.endsWith("0")) {
            digits = digits.substring(0, digits.length() - 1);
        }
        StringBuilder b = new StringBuilder(negative ? "-" : "");
        if (exponent >= -4 && exponent < 16) {
            if (exponent < 0) {
                b.append("0.").append("0".repeat(-exponent - 1)).append(digits);
            } else if (digits.length() <= exponent + 1) {
                b.append(digits).append("0".repeat(exponent + 1 - digits.length())).append(".0");
            } else {
                b.append(digits, 0, exponent + 1).append('.').append(digits.substring(exponent + 1));
            }
        } else {
            b.append(digits.charAt(0));
            if (digits.length() > 1) {
                b.append('.').append(digits.substring(1));
            }
            b.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            b.append(abs < 10 ? "0" + abs : Integer.toString(abs));
        }
        return b.toString();
    }

    static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder b = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == quote || c == '\\') {
                b.append('\\').append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(quote).toString();
    }

    // ---- equality and ordering ----

    private static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    private static double asDouble(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return ((Number) v).doubleValue();
    }

    private static long asLong(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return (Long) v;
    }

    private static boolean isIntegral(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static boolean equal(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            return isIntegral(a) && isIntegral(b) ? asLong(a) == asLong(b) : asDouble(a) == asDouble(b);
        }
        if (a instanceof Undefined && b instanceof Undefined) {
            return true;
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!equal(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                Object key = findKey(y, e.getKey());
                if (key == MISSING || !equal(e.getValue(), y.get(key))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof String || b instanceof String) {
            return a.equals(b);
        }
        return false;
    }

    static final Object MISSING = new Object();

    /** The key of {@code map} equal to {@code key} by Python's rules (1 == 1.0 == True), or MISSING. */
    static Object findKey(Map<?, ?> map, Object key) {
        if (map.containsKey(key)) {
            return key;
        }
        if (isNumber(key)) {
            for (Object k : map.keySet()) {
                if (isNumber(k) && equal(k, key)) {
                    return k;
                }
            }
        }
        return MISSING;
    }

    /** Python's ordering: negative, zero or positive; {@code op} only names the operator in the error. */
    static int compare(Object a, Object b, String op) {
        if (isNumber(a) && isNumber(b)) {
            if (isIntegral(a) && isIntegral(b)) {
                return Long.compare(asLong(a), asLong(b));
            }
            return Double.compare(asDouble(a), asDouble(b));
        }
        if (a instanceof String x && b instanceof String y) {
            return compareCodePoints(x, y);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!equal(x.get(i), y.get(i))) {
                    return compare(x.get(i), y.get(i), op);
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        if (a instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        if (b instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        throw new JinjaError("'" + op + "' not supported between instances of '" + typeName(a) + "' and '"
                             + typeName(b) + "'");
    }

    static int compareCodePoints(String x, String y) {
        int i = 0;
        int j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i);
            int b = y.codePointAt(j);
            if (a != b) {
                return Integer.compare(a, b);
            }
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Boolean.compare(i < x.length(), j < y.length());
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof String s) {
            if (item instanceof String t) {
                return s.contains(t);
            }
            if (item instanceof Undefined u) {
                throw new JinjaError(u.hint());
            }
            throw new JinjaError("'in <string>' requires string as left operand, not " + typeName(item));
        }
        if (container instanceof List<?> list) {
            for (Object o : list) {
                if (equal(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Map<?, ?> map) {
            return findKey(map, item) != MISSING;
        }
        if (container instanceof Namespace ns) {
            return ns.attributes.containsKey(item);
        }
        if (container instanceof Undefined) {
            return false;
        }
        throw new JinjaError("argument of type '" + typeName(container) + "' is not iterable");
    }

    // ---- arithmetic ----

    static Object binary(String op, Object a, Object b) {
        if (a instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        if (b instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        if (isNumber(a) && isNumber(b)) {
            return numeric(op, a, b);
        }
        switch (op) {
            case "+" -> {
                if (a instanceof String x && b instanceof String y) {
                    return x + y;
                }
                if (a instanceof List<?> x && b instanceof List<?> y) {
                    List<Object> out = new ArrayList<>(x);
                    out.addAll(y);
                    return out;
                }
                if (a instanceof String) {
                    throw new JinjaError("can only concatenate str (not \"" + typeName(b) + "\") to str");
                }
                if (a instanceof List) {
                    throw new JinjaError("can only concatenate list (not \"" + typeName(b) + "\") to list");
                }
            }
            case "*" -> {
                if ((a instanceof String || a instanceof List) && isIntegral(b)) {
                    return repeat(a, asLong(b));
                }
                if ((b instanceof String || b instanceof List) && isIntegral(a)) {
                    return repeat(b, asLong(a));
                }
            }
            case "%" -> {
                if (a instanceof String) {
                    throw new JinjaError("printf-style '%' formatting of strings is not supported");
                }
            }
            default -> { }
        }
        throw new JinjaError("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '"
                             + typeName(b) + "'");
    }

    /** The longest string or list {@code *} may make; a template that wants more is refused, not run out of memory. */
    static final long MAX_REPEAT = 10_000_000;

    private static Object repeat(Object seq, long times) {
        long unit = seq instanceof String s ? s.length() : ((List<?>) seq).size();
        if (times > 0 && unit > 0 && times > MAX_REPEAT / unit) {
            throw new JinjaError("a repetition of " + times + " would exceed " + MAX_REPEAT + " items");
        }
        if (seq instanceof String s) {
            return times <= 0 ? "" : s.repeat((int) times);
        }
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < times; i++) {
            out.addAll((List<?>) seq);
        }
        return out;
    }

    /** An integer argument that must lie in [min, max] (a width, a precision, a base). */
    static int smallInt(Object v, String what, int min, int max) {
        long n = toIndex(v, what);
        if (n < min || n > max) {
            throw new JinjaError(what + " must be between " + min + " and " + max + ", not " + n);
        }
        return (int) n;
    }

    private static Object numeric(String op, Object a, Object b) {
        boolean ints = isIntegral(a) && isIntegral(b);
        try {
            switch (op) {
                case "+":
                    return ints ? (Object) Math.addExact(asLong(a), asLong(b)) : (Object) (asDouble(a) + asDouble(b));
                case "-":
                    return ints ? (Object) Math.subtractExact(asLong(a), asLong(b))
                                : (Object) (asDouble(a) - asDouble(b));
                case "*":
                    return ints ? (Object) Math.multiplyExact(asLong(a), asLong(b))
                                : (Object) (asDouble(a) * asDouble(b));
                case "/":
                    if (asDouble(b) == 0) {
                        throw new JinjaError("division by zero");
                    }
                    return asDouble(a) / asDouble(b);
                case "//":
                    if (asDouble(b) == 0) {
                        throw new JinjaError("integer division or modulo by zero");
                    }
                    return ints ? (Object) Math.floorDiv(asLong(a), asLong(b))
                                : (Object) Math.floor(asDouble(a) / asDouble(b));
                case "%":
                    if (asDouble(b) == 0) {
                        throw new JinjaError("integer division or modulo by zero");
                    }
                    if (ints) {
                        return Math.floorMod(asLong(a), asLong(b));
                    }
                    double x = asDouble(a);
                    double y = asDouble(b);
                    double m = x % y;
                    return (m != 0 && (m < 0) != (y < 0)) ? m + y : m;
                case "**":
                    if (ints && asLong(b) >= 0) {
                        return integerPower(asLong(a), asLong(b));
                    }
                    return Math.pow(asDouble(a), asDouble(b));
                default:
                    throw new JinjaError("unknown operator " + op);
            }
        } catch (ArithmeticException e) {
            throw new JinjaError("integer overflow in " + repr(a) + " " + op + " " + repr(b));
        }
    }

    /** base ** exponent by repeated squaring (exponent >= 0), refusing results beyond a long. */
    private static long integerPower(long base, long exponent) {
        long result = 1;
        long square = base;
        for (long e = exponent; e > 0; e >>= 1) {
            if ((e & 1) == 1) {
                result = Math.multiplyExact(result, square);
            }
            if (e > 1) {
                square = Math.multiplyExact(square, square);
            }
        }
        return result;
    }

    static Object negate(Object v) {
        if (v instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        if (isIntegral(v)) {
            return -asLong(v);
        }
        if (v instanceof Double d) {
            return -d;
        }
        throw new JinjaError("bad operand type for unary -: '" + typeName(v) + "'");
    }

    static Object plus(Object v) {
        if (v instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        if (isIntegral(v)) {
            return asLong(v);
        }
        if (v instanceof Double) {
            return v;
        }
        throw new JinjaError("bad operand type for unary +: '" + typeName(v) + "'");
    }

    // ---- iteration and length ----

    /** The items a for loop sees: a list's items, a dict's keys, a string's characters. */
    static List<Object> iterate(Object v) {
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof String s) {
            List<Object> out = new ArrayList<>();
            s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
            return out;
        }
        if (v instanceof Undefined) {
            return new ArrayList<>();
        }
        if (v instanceof Namespace ns) {
            return new ArrayList<>(ns.attributes.keySet());
        }
        throw new JinjaError("'" + typeName(v) + "' object is not iterable");
    }

    static long length(Object v) {
        if (v instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (v instanceof List<?> l) {
            return l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        if (v instanceof Undefined) {
            return 0;
        }
        throw new JinjaError("object of type '" + typeName(v) + "' has no len()");
    }

    static long toIndex(Object v, String what) {
        if (isIntegral(v)) {
            return asLong(v);
        }
        if (v instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        throw new JinjaError(what + " must be integers, not " + typeName(v));
    }

    // ---- json.dumps ----

    /** Python's {@code json.dumps(v, ensure_ascii, indent, separators, sort_keys)}, as Hugging Face's tojson calls it. */
    static String toJson(Object v, boolean ensureAscii, String indent, String itemSeparator, String keySeparator,
                         boolean sortKeys) {
        StringBuilder b = new StringBuilder();
        writeJson(b, v, ensureAscii, indent, itemSeparator, keySeparator, sortKeys, 0);
        return b.toString();
    }

    private static void writeJson(StringBuilder b, Object v, boolean ascii, String indent, String itemSep,
                                  String keySep, boolean sortKeys, int level) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Boolean x) {
            b.append(x ? "true" : "false");
        } else if (v instanceof Long x) {
            b.append(x);
        } else if (v instanceof Double x) {
            b.append(Double.isNaN(x) ? "NaN" : Double.isInfinite(x) ? (x > 0 ? "Infinity" : "-Infinity")
                                                                    : floatRepr(x));
        } else if (v instanceof String s) {
            jsonString(b, s, ascii);
        } else if (v instanceof List<?> list) {
            if (list.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    b.append(itemSep);
                }
                newline(b, indent, level + 1);
                writeJson(b, list.get(i), ascii, indent, itemSep, keySep, sortKeys, level + 1);
            }
            newline(b, indent, level);
            b.append(']');
        } else if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                b.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
            if (sortKeys) {
                entries.sort((x, y) -> compare(x.getKey(), y.getKey(), "<"));
            }
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) {
                    b.append(itemSep);
                }
                first = false;
                newline(b, indent, level + 1);
                jsonString(b, jsonKey(e.getKey()), ascii);
                b.append(keySep);
                writeJson(b, e.getValue(), ascii, indent, itemSep, keySep, sortKeys, level + 1);
            }
            newline(b, indent, level);
            b.append('}');
        } else {
            throw new JinjaError("Object of type " + typeName(v) + " is not JSON serializable");
        }
    }

    private static String jsonKey(Object key) {
        if (key instanceof String s) {
            return s;
        }
        if (key == null) {
            return "null";
        }
        if (key instanceof Boolean x) {
            return x ? "true" : "false";
        }
        if (key instanceof Long || key instanceof Double) {
            return repr(key);
        }
        throw new JinjaError("keys must be str, int, float, bool or None, not " + typeName(key));
    }

    private static void newline(StringBuilder b, String indent, int level) {
        if (indent != null) {
            b.append('\n').append(indent.repeat(level));
        }
    }

    private static void jsonString(StringBuilder b, String s, boolean ascii) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || (ascii && c > 0x7e)) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
