package org.racro4j.models.chat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The filters ({@code value | name(args)}) the chat templates use: Jinja2's built-ins, and {@code tojson} as
 * Hugging Face redefines it ({@code json.dumps(x, ensure_ascii=False, indent=None, separators=None,
 * sort_keys=False)}, so non-ASCII text and {@code < > &} are written as they are).
 */
final class Filters {
    private Filters() {
    }

    private static final java.util.regex.Pattern WORD =
        java.util.regex.Pattern.compile("\\w+", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

    private static final List<String> NAMES = List.of(
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "forceescape", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min",
        "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string",
        "sum", "title", "tojson", "trim", "unique", "upper", "wordcount");

    static boolean known(String name) {
        return NAMES.contains(name);
    }

    static Object apply(String name, Object v, List<Object> args, Map<String, Object> kwargs) {
        String f = "filter '" + name + "'";
        switch (name) {
            case "trim": {
                Object[] b = Args.bind(f, args, kwargs, "chars");
                Object chars = Args.or(b[0], null);
                return StringMethods.strip(Values.str(v), chars == null ? null : Args.string(f, chars, "chars"),
                                           true, true);
            }
            case "tojson": {
                Object[] b = Args.bind(f, args, kwargs, "ensure_ascii", "indent", "separators", "sort_keys");
                boolean ascii = Values.truthy(Args.or(b[0], false));
                Object indentArg = Args.or(b[1], null);
                String indent = indentArg == null ? null
                                : indentArg instanceof String s ? s
                                : " ".repeat(Math.max(0, Values.smallInt(indentArg, "indent", Integer.MIN_VALUE, 1000)));
                String itemSep = indent == null ? ", " : ",";
                String keySep = ": ";
                Object separators = Args.or(b[2], null);
                if (separators != null) {
                    if (!(separators instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof String)
                        || !(l.get(1) instanceof String)) {
                        throw new JinjaError(f + ": separators must be a pair of strings");
                    }
                    itemSep = (String) l.get(0);
                    keySep = (String) l.get(1);
                }
                return Values.toJson(v, ascii, indent, itemSep, keySep, Values.truthy(Args.or(b[3], false)));
            }
            case "length":
            case "count":
                Args.bind(f, args, kwargs);
                return Values.length(v);
            case "lower":
                Args.bind(f, args, kwargs);
                return Values.str(v).toLowerCase(Locale.ROOT);
            case "upper":
                Args.bind(f, args, kwargs);
                return Values.str(v).toUpperCase(Locale.ROOT);
            case "capitalize":
                Args.bind(f, args, kwargs);
                return StringMethods.capitalize(Values.str(v));
            case "title":
                Args.bind(f, args, kwargs);
                return jinjaTitle(Values.str(v));
            case "default":
            case "d": {
                Object[] b = Args.bind(f, args, kwargs, "default_value", "boolean");
                boolean useWhenFalse = Values.truthy(Args.or(b[1], false));
                if (v instanceof Undefined || (useWhenFalse && !Values.truthy(v))) {
                    return Args.or(b[0], "");
                }
                return v;
            }
            case "first": {
                Args.bind(f, args, kwargs);
                List<Object> items = Values.iterate(v);
                return items.isEmpty() ? new Undefined("No first item, sequence was empty.") : items.get(0);
            }
            case "last": {
                Args.bind(f, args, kwargs);
                List<Object> items = Values.iterate(v);
                return items.isEmpty() ? new Undefined("No last item, sequence was empty.")
                                       : items.get(items.size() - 1);
            }
            case "join": {
                Object[] b = Args.bind(f, args, kwargs, "d", "attribute");
                String sep = Values.str(Args.or(b[0], ""));
                Object attribute = Args.or(b[1], null);
                StringBuilder out = new StringBuilder();
                List<Object> items = Values.iterate(v);
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) {
                        out.append(sep);
                    }
                    Object item = attribute == null ? items.get(i) : attributePath(items.get(i), attribute);
                    out.append(Values.str(item));
                }
                return out.toString();
            }
            case "string":
                Args.bind(f, args, kwargs);
                return Values.str(v);
            case "int": {
                Object[] b = Args.bind(f, args, kwargs, "default", "base");
                return toInt(v, Args.or(b[0], 0L), Values.smallInt(Args.or(b[1], 10L), "base", 2, 36));
            }
            case "float": {
                Object[] b = Args.bind(f, args, kwargs, "default");
                return toFloat(v, Args.or(b[0], 0.0));
            }
            case "list":
                Args.bind(f, args, kwargs);
                return Values.iterate(v);
            case "items":
                Args.bind(f, args, kwargs);
                if (v instanceof Undefined) {
                    return new ArrayList<>();
                }
                if (!(v instanceof Map<?, ?> map)) {
                    throw new JinjaError("Can only get item pairs from a mapping, not " + Values.typeName(v));
                }
                return StringMethods.items(map);
            case "reverse": {
                Args.bind(f, args, kwargs);
                if (v instanceof String s) {
                    return new StringBuilder(s).reverse().toString();
                }
                List<Object> items = Values.iterate(v);
                java.util.Collections.reverse(items);
                return items;
            }
            case "sort": {
                Object[] b = Args.bind(f, args, kwargs, "reverse", "case_sensitive", "attribute");
                boolean reverse = Values.truthy(Args.or(b[0], false));
                boolean caseSensitive = Values.truthy(Args.or(b[1], false));
                Object attribute = Args.or(b[2], null);
                List<Object> items = Values.iterate(v);
                Comparator<Object> order = (x, y) -> Values.compare(sortKey(x, attribute, caseSensitive),
                                                                    sortKey(y, attribute, caseSensitive), "<");
                items.sort(reverse ? order.reversed() : order);
                return items;
            }
            case "dictsort": {
                Object[] b = Args.bind(f, args, kwargs, "case_sensitive", "by", "reverse");
                boolean caseSensitive = Values.truthy(Args.or(b[0], false));
                int by = "value".equals(Args.or(b[1], "key")) ? 1 : 0;
                if (!(v instanceof Map<?, ?> map)) {
                    throw new JinjaError(f + " needs a dict, not " + Values.typeName(v));
                }
                List<Object> pairs = StringMethods.items(map);
                Comparator<Object> order = (x, y) -> Values.compare(
                    sortKey(((List<?>) x).get(by), null, caseSensitive),
                    sortKey(((List<?>) y).get(by), null, caseSensitive), "<");
                pairs.sort(Values.truthy(Args.or(b[2], false)) ? order.reversed() : order);
                return pairs;
            }
            case "unique": {
                Object[] b = Args.bind(f, args, kwargs, "case_sensitive", "attribute");
                boolean caseSensitive = Values.truthy(Args.or(b[0], false));
                Object attribute = Args.or(b[1], null);
                List<Object> out = new ArrayList<>();
                List<Object> seen = new ArrayList<>();
                for (Object item : Values.iterate(v)) {
                    Object key = sortKey(item, attribute, caseSensitive);
                    if (seen.stream().noneMatch(s -> Values.equal(s, key))) {
                        seen.add(key);
                        out.add(item);
                    }
                }
                return out;
            }
            case "select":
            case "reject":
            case "selectattr":
            case "rejectattr":
                return select(name, v, args, kwargs);
            case "map":
                return map(v, args, kwargs);
            case "attr": {
                Object[] b = Args.bind(f, args, kwargs, "name");
                return Access.attribute(v, Args.string(f, Args.required(f, b[0], "name"), "name"));
            }
            case "replace": {
                Object[] b = Args.bind(f, args, kwargs, "old", "new", "count");
                String old = Values.str(Args.required(f, b[0], "old"));
                String rep = Values.str(Args.required(f, b[1], "new"));
                Object count = Args.or(b[2], null);
                return StringMethods.replace(Values.str(v), old, rep,
                                             count == null ? -1 : Values.toIndex(count, "count"));
            }
            case "abs":
                Args.bind(f, args, kwargs);
                if (v instanceof Double d) {
                    return Math.abs(d);
                }
                return Math.abs(Values.toIndex(v, "abs: the value"));
            case "round": {
                Object[] b = Args.bind(f, args, kwargs, "precision", "method");
                int precision = Values.smallInt(Args.or(b[0], 0L), "precision", -400, 400);
                String method = Values.str(Args.or(b[1], "common"));
                RoundingMode mode = switch (method) {
                    case "common" -> RoundingMode.HALF_EVEN; // Python's round() on the exact binary value
                    case "ceil" -> RoundingMode.CEILING;
                    case "floor" -> RoundingMode.FLOOR;
                    default -> throw new JinjaError("method must be common, ceil or floor");
                };
                double d = v instanceof Long l ? l : v instanceof Double x ? x
                           : (double) Values.toIndex(v, "round: the value");
                return new BigDecimal(d).setScale(precision, mode).doubleValue();
            }
            case "sum": {
                Object[] b = Args.bind(f, args, kwargs, "attribute", "start");
                Object attribute = Args.or(b[0], null);
                Object total = Args.or(b[1], 0L);
                for (Object item : Values.iterate(v)) {
                    total = Values.binary("+", total, attribute == null ? item : attributePath(item, attribute));
                }
                return total;
            }
            case "min":
            case "max": {
                Object[] b = Args.bind(f, args, kwargs, "case_sensitive", "attribute");
                boolean caseSensitive = Values.truthy(Args.or(b[0], false));
                Object attribute = Args.or(b[1], null);
                Object best = null;
                Object bestKey = null;
                for (Object item : Values.iterate(v)) {
                    Object key = sortKey(item, attribute, caseSensitive);
                    int c = best == null ? 0 : Values.compare(key, bestKey, "<");
                    if (best == null || (name.equals("min") ? c < 0 : c > 0)) {
                        best = item;
                        bestKey = key;
                    }
                }
                return best == null ? new Undefined("No " + (name.equals("min") ? "smallest" : "largest")
                                                    + " item, sequence was empty.") : best;
            }
            case "indent": {
                Object[] b = Args.bind(f, args, kwargs, "width", "first", "blank");
                Object widthArg = Args.or(b[0], 4L);
                String pad = widthArg instanceof String s ? s
                             : " ".repeat(Math.max(0, Values.smallInt(widthArg, "width", Integer.MIN_VALUE, 1000)));
                if (!(v instanceof String text)) {
                    throw new JinjaError(f + " needs a string, not " + Values.typeName(v));
                }
                return indent(text, pad, Values.truthy(Args.or(b[1], false)), Values.truthy(Args.or(b[2], false)));
            }
            case "safe":
                Args.bind(f, args, kwargs);
                return v;
            case "e":
            case "escape":
            case "forceescape":
                Args.bind(f, args, kwargs);
                return Values.str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    .replace("\"", "&#34;").replace("'", "&#39;");
            case "wordcount":
                Args.bind(f, args, kwargs);
                return WORD.matcher(Values.str(v)).results().count();
            default:
                throw new JinjaError("no filter named '" + name + "'");
        }
    }

    /** Jinja2's title filter: each word (split before - whitespace ( { [ &lt;) gets its first character upper cased. */
    private static String jinjaTitle(String s) {
        StringBuilder out = new StringBuilder();
        java.util.regex.Matcher m = TITLE_SPLIT.matcher(s);
        int last = 0;
        while (m.find()) {
            titleWord(out, s.substring(last, m.start()));
            out.append(m.group());
            last = m.end();
        }
        titleWord(out, s.substring(last));
        return out.toString();
    }

    private static final java.util.regex.Pattern TITLE_SPLIT =
        java.util.regex.Pattern.compile("[-\\s({\\[<]+", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

    private static void titleWord(StringBuilder out, String word) {
        if (!word.isEmpty()) {
            int first = word.codePointAt(0);
            out.append(new String(Character.toChars(first)).toUpperCase(Locale.ROOT))
               .append(word.substring(Character.charCount(first)).toLowerCase(Locale.ROOT));
        }
    }

    /** Jinja2's indent: lines after the first get the padding (empty ones only with blank), the first with first. */
    private static String indent(String s, String pad, boolean first, boolean blank) {
        List<String> lines = new ArrayList<>(List.of((s + "\n").split(LINE_BREAKS, -1)));
        lines.remove(lines.size() - 1); // what str.splitlines() drops after the final break
        StringBuilder out = new StringBuilder(lines.isEmpty() ? "" : lines.get(0));
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            out.append('\n').append(blank || !line.isEmpty() ? pad : "").append(line);
        }
        return first ? pad + out : out.toString();
    }

    /** What Python's str.splitlines() breaks on. */
    private static final String LINE_BREAKS = "\r\n|[\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029]";

    private static Object sortKey(Object item, Object attribute, boolean caseSensitive) {
        Object key = attribute == null ? item : attributePath(item, attribute);
        return !caseSensitive && key instanceof String s ? s.toLowerCase(Locale.ROOT) : key;
    }

    /** {@code attribute="a.b"} or an integer index, as Jinja2's make_attrgetter resolves it. */
    private static Object attributePath(Object item, Object attribute) {
        if (attribute instanceof Long) {
            return Access.item(item, attribute);
        }
        Object v = item;
        for (String part : Values.str(attribute).split("\\.")) {
            v = part.matches("\\d+") ? Access.item(v, Long.parseLong(part)) : Access.item(v, part);
        }
        return v;
    }

    private static List<Object> select(String name, Object v, List<Object> args, Map<String, Object> kwargs) {
        boolean byAttribute = name.endsWith("attr");
        boolean keep = name.startsWith("select");
        if (!kwargs.isEmpty()) {
            throw new JinjaError("filter '" + name + "' takes no keyword arguments");
        }
        int at = 0;
        Object attribute = null;
        if (byAttribute) {
            if (args.isEmpty()) {
                throw new JinjaError("filter '" + name + "' needs an attribute name");
            }
            attribute = args.get(at++);
        }
        String test = at < args.size() ? Values.str(args.get(at++)) : null;
        if (test != null && !Tests.known(test)) {
            throw new JinjaError("no test named '" + test + "'");
        }
        List<Object> testArgs = new ArrayList<>(args.subList(at, args.size()));
        List<Object> out = new ArrayList<>();
        if (!Values.truthy(v)) { // Jinja2's select_or_reject starts with "if value:"
            return out;
        }
        for (Object item : Values.iterate(v)) {
            Object subject = attribute == null ? item : attributePath(item, attribute);
            boolean pass = test == null ? Values.truthy(subject) : Tests.apply(test, subject, testArgs);
            if (pass == keep) {
                out.add(item);
            }
        }
        return out;
    }

    private static List<Object> map(Object v, List<Object> args, Map<String, Object> kwargs) {
        List<Object> out = new ArrayList<>();
        if (!Values.truthy(v)) { // as Jinja2's map: "if value:"
            return out;
        }
        if (kwargs.containsKey("attribute")) {
            Object attribute = kwargs.get("attribute");
            Map<String, Object> rest = new LinkedHashMap<>(kwargs);
            rest.remove("attribute");
            Object fallback = rest.containsKey("default") ? rest.remove("default") : Values.MISSING;
            if (!rest.isEmpty() || !args.isEmpty()) {
                throw new JinjaError("filter 'map' with attribute= takes only default=");
            }
            for (Object item : Values.iterate(v)) {
                Object value = attributePath(item, attribute);
                out.add(value instanceof Undefined && fallback != Values.MISSING ? fallback : value);
            }
            return out;
        }
        if (args.isEmpty()) {
            throw new JinjaError("filter 'map' needs a filter name or attribute=");
        }
        String filter = Values.str(args.get(0));
        if (!known(filter)) {
            throw new JinjaError("no filter named '" + filter + "'");
        }
        List<Object> rest = args.subList(1, args.size());
        for (Object item : Values.iterate(v)) {
            out.add(apply(filter, item, rest, kwargs));
        }
        return out;
    }

    private static Object toInt(Object v, Object fallback, int base) {
        if (v instanceof Long || v instanceof Boolean) {
            return Values.toIndex(v, "int");
        }
        if (v instanceof Double d) {
            return (long) d.doubleValue();
        }
        if (v instanceof String s) {
            String t = StringMethods.strip(s, null, true, true).replace("_", "");
            try {
                return Long.parseLong(t, base);
            } catch (NumberFormatException e) {
                try {
                    return (long) Double.parseDouble(t);
                } catch (NumberFormatException e2) {
                    return fallback;
                }
            }
        }
        return fallback;
    }

    private static Object toFloat(Object v, Object fallback) {
        if (v instanceof Long || v instanceof Boolean) {
            return (double) Values.toIndex(v, "float");
        }
        if (v instanceof Double) {
            return v;
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(StringMethods.strip(s, null, true, true));
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }
}
