package org.racro4j.models.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Python str, dict and list methods templates call: {@code s.startswith(...)}, {@code s.split(...)},
 * {@code d.items()}, {@code xs.count(x)}. Methods that would change a value are absent, as in Jinja2's immutable
 * sandbox.
 */
final class StringMethods {
    private StringMethods() {
    }

    /** The bound method {@code name} of the string {@code s}, or null when str has no such method here. */
    static JinjaCallable of(String s, String name) {
        return switch (name) {
            case "startswith" -> (a, k) -> affix(s, "str.startswith", a, k, true);
            case "endswith" -> (a, k) -> affix(s, "str.endswith", a, k, false);
            case "strip" -> (a, k) -> strip(s, chars("str.strip", a, k), true, true);
            case "lstrip" -> (a, k) -> strip(s, chars("str.lstrip", a, k), true, false);
            case "rstrip" -> (a, k) -> strip(s, chars("str.rstrip", a, k), false, true);
            case "split" -> (a, k) -> split(s, "str.split", a, k, false);
            case "rsplit" -> (a, k) -> split(s, "str.rsplit", a, k, true);
            case "splitlines" -> (a, k) -> {
                Args.bind("str.splitlines", a, k);
                List<Object> out = new ArrayList<>();
                for (String line : s.split("\r\n|\r|\n", -1)) {
                    out.add(line);
                }
                if (!out.isEmpty() && ((String) out.get(out.size() - 1)).isEmpty()) {
                    out.remove(out.size() - 1);
                }
                return out;
            };
            case "upper" -> (a, k) -> {
                Args.bind("str.upper", a, k);
                return s.toUpperCase(Locale.ROOT);
            };
            case "lower" -> (a, k) -> {
                Args.bind("str.lower", a, k);
                return s.toLowerCase(Locale.ROOT);
            };
            case "title" -> (a, k) -> {
                Args.bind("str.title", a, k);
                return title(s);
            };
            case "capitalize" -> (a, k) -> {
                Args.bind("str.capitalize", a, k);
                return capitalize(s);
            };
            case "replace" -> (a, k) -> {
                Object[] b = Args.bind("str.replace", a, k, "old", "new", "count");
                String old = Args.string("str.replace", Args.required("str.replace", b[0], "old"), "old");
                String rep = Args.string("str.replace", Args.required("str.replace", b[1], "new"), "new");
                long count = Values.toIndex(Args.or(b[2], -1L), "count");
                return replace(s, old, rep, count);
            };
            case "find", "rfind", "count", "index", "rindex" -> (a, k) -> {
                Object[] b = Args.bind("str." + name, a, k, "sub");
                String sub = Args.string("str." + name, Args.required("str." + name, b[0], "sub"), "sub");
                return search(s, name, sub);
            };
            case "join" -> (a, k) -> {
                Object[] b = Args.bind("str.join", a, k, "iterable");
                StringBuilder out = new StringBuilder();
                List<Object> items = Values.iterate(Args.required("str.join", b[0], "iterable"));
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String item)) {
                        throw new JinjaError("sequence item " + i + ": expected str instance, "
                                             + Values.typeName(items.get(i)) + " found");
                    }
                    if (i > 0) {
                        out.append(s);
                    }
                    out.append(item);
                }
                return out.toString();
            };
            case "isdigit" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(c -> Lexer.isPythonSpace((char) c));
            case "islower" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
            case "isupper" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
            default -> null;
        };
    }

    /** The bound method {@code name} of a dict, or null. */
    static JinjaCallable ofDict(Map<?, ?> map, String name) {
        return switch (name) {
            case "items" -> (a, k) -> {
                Args.bind("dict.items", a, k);
                return items(map);
            };
            case "keys" -> (a, k) -> {
                Args.bind("dict.keys", a, k);
                return new ArrayList<Object>(map.keySet());
            };
            case "values" -> (a, k) -> {
                Args.bind("dict.values", a, k);
                return new ArrayList<Object>(map.values());
            };
            case "get" -> (a, k) -> {
                Object[] b = Args.bind("dict.get", a, k, "key", "default");
                Object key = Values.findKey(map, Args.required("dict.get", b[0], "key"));
                return key == Values.MISSING ? Args.or(b[1], null) : map.get(key);
            };
            default -> null;
        };
    }

    /** The bound method {@code name} of a list (only the ones that do not change it), or null. */
    static JinjaCallable ofList(List<?> list, String name) {
        return switch (name) {
            case "count" -> (a, k) -> {
                Object[] b = Args.bind("list.count", a, k, "value");
                Object v = Args.required("list.count", b[0], "value");
                return list.stream().filter(x -> Values.equal(x, v)).count();
            };
            case "index" -> (a, k) -> {
                Object[] b = Args.bind("list.index", a, k, "value");
                Object v = Args.required("list.index", b[0], "value");
                for (int i = 0; i < list.size(); i++) {
                    if (Values.equal(list.get(i), v)) {
                        return (long) i;
                    }
                }
                throw new JinjaError(Values.repr(v) + " is not in list");
            };
            default -> null;
        };
    }

    /** dict.items() as a list of [key, value] pairs (lists, since the values may be null). */
    static List<Object> items(Map<?, ?> map) {
        List<Object> out = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            List<Object> pair = new ArrayList<>(2);
            pair.add(e.getKey());
            pair.add(e.getValue());
            out.add(pair);
        }
        return out;
    }

    private static Object affix(String s, String function, List<Object> a, Map<String, Object> k, boolean prefix) {
        Object[] b = Args.bind(function, a, k, "prefix", "start", "end");
        Object what = Args.required(function, b[0], "prefix");
        int len = s.length();
        int start = (int) clampIndex(Args.or(b[1], 0L), len);
        int end = (int) clampIndex(Args.or(b[2], (long) len), len);
        String part = start <= end ? s.substring(start, end) : null;
        List<Object> options = what instanceof List<?> l ? new ArrayList<>(l) : List.of(what);
        for (Object o : options) {
            if (!(o instanceof String affix)) {
                throw new JinjaError(function + " first arg must be str or a tuple of str, not " + Values.typeName(o));
            }
            if (part != null && (prefix ? part.startsWith(affix) : part.endsWith(affix))) {
                return true;
            }
        }
        return false;
    }

    private static long clampIndex(Object v, int len) {
        if (v == null) {
            return len;
        }
        long i = Values.toIndex(v, "slice indices");
        if (i < 0) {
            i += len;
        }
        return Math.max(0, Math.min(len, i));
    }

    private static String chars(String function, List<Object> a, Map<String, Object> k) {
        Object[] b = Args.bind(function, a, k, "chars");
        Object chars = Args.or(b[0], null);
        if (chars == null) {
            return null;
        }
        return Args.string(function, chars, "chars");
    }

    /** Python's str.strip/lstrip/rstrip: whitespace when chars is null, else any of chars. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int b = 0;
        int e = s.length();
        if (left) {
            while (b < e && strippable(s.charAt(b), chars)) {
                b++;
            }
        }
        if (right) {
            while (e > b && strippable(s.charAt(e - 1), chars)) {
                e--;
            }
        }
        return s.substring(b, e);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Lexer.isPythonSpace(c) : chars.indexOf(c) >= 0;
    }

    private static List<Object> split(String s, String function, List<Object> a, Map<String, Object> k,
                                      boolean fromRight) {
        Object[] b = Args.bind(function, a, k, "sep", "maxsplit");
        Object sepArg = Args.or(b[0], null);
        long maxsplit = Values.toIndex(Args.or(b[1], -1L), "maxsplit");
        List<Object> out = new ArrayList<>();
        if (sepArg == null) {
            return whitespaceSplit(s, maxsplit, fromRight);
        }
        String sep = Args.string(function, sepArg, "sep");
        if (sep.isEmpty()) {
            throw new JinjaError("empty separator");
        }
        if (!fromRight) {
            int from = 0;
            while (maxsplit < 0 || out.size() < maxsplit) {
                int at = s.indexOf(sep, from);
                if (at < 0) {
                    break;
                }
                out.add(s.substring(from, at));
                from = at + sep.length();
            }
            out.add(s.substring(from));
            return out;
        }
        int to = s.length();
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.lastIndexOf(sep, to - sep.length());
            if (at < 0) {
                break;
            }
            out.add(0, s.substring(at + sep.length(), to));
            to = at;
        }
        out.add(0, s.substring(0, to));
        return out;
    }

    private static List<Object> whitespaceSplit(String s, long maxsplit, boolean fromRight) {
        List<Object> out = new ArrayList<>();
        if (fromRight) {
            int e = s.length();
            while (true) {
                while (e > 0 && Lexer.isPythonSpace(s.charAt(e - 1))) {
                    e--;
                }
                if (e == 0) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(0, s.substring(0, e));
                    break;
                }
                int b = e;
                while (b > 0 && !Lexer.isPythonSpace(s.charAt(b - 1))) {
                    b--;
                }
                out.add(0, s.substring(b, e));
                e = b;
            }
            return out;
        }
        int i = 0;
        int n = s.length();
        while (true) {
            while (i < n && Lexer.isPythonSpace(s.charAt(i))) {
                i++;
            }
            if (i == n) {
                break;
            }
            if (maxsplit >= 0 && out.size() == maxsplit) {
                out.add(Lexer.rstripPython(s.substring(i)));
                break;
            }
            int j = i;
            while (j < n && !Lexer.isPythonSpace(s.charAt(j))) {
                j++;
            }
            out.add(s.substring(i, j));
            i = j;
        }
        return out;
    }

    static String replace(String s, String old, String rep, long count) {
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder b = new StringBuilder(rep);
                s.codePoints().forEach(cp -> b.appendCodePoint(cp).append(rep));
                return b.toString();
            }
            return s.replace(old, rep);
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        long done = 0;
        while (done < count) {
            int at = old.isEmpty() ? (from <= s.length() ? from : -1) : s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            b.append(s, from, at).append(rep);
            if (old.isEmpty()) {
                if (at < s.length()) {
                    b.append(s.charAt(at));
                }
                from = at + 1;
            } else {
                from = at + old.length();
            }
            done++;
        }
        if (from <= s.length()) {
            b.append(s.substring(from));
        }
        return b.toString();
    }

    private static Object search(String s, String name, String sub) {
        switch (name) {
            case "find" -> {
                return (long) s.indexOf(sub);
            }
            case "rfind" -> {
                return (long) s.lastIndexOf(sub);
            }
            case "index", "rindex" -> {
                int at = name.equals("index") ? s.indexOf(sub) : s.lastIndexOf(sub);
                if (at < 0) {
                    throw new JinjaError("substring not found");
                }
                return (long) at;
            }
            default -> {
                if (sub.isEmpty()) {
                    return (long) s.length() + 1;
                }
                long n = 0;
                int from = 0;
                while ((from = s.indexOf(sub, from)) >= 0) {
                    n++;
                    from += sub.length();
                }
                return n;
            }
        }
    }

    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        return new String(Character.toChars(Character.toTitleCase(first)))
               + s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT);
    }

    /** Python's str.title(): a letter after a non-letter goes upper case, other letters lower case. */
    static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (Character.isLetter(cp)) {
                b.appendCodePoint(previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
                previousCased = true;
            } else {
                b.appendCodePoint(cp);
                previousCased = false;
            }
            i += Character.charCount(cp);
        }
        return b.toString();
    }
}
