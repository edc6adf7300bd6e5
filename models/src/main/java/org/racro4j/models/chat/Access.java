package org.racro4j.models.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code x.name}, {@code x[key]} and {@code x[a:b:c]} as Jinja2's sandboxed environment does them: {@code x.name}
 * tries the attribute (a str or dict method, a loop or namespace field) and then the item; {@code x[key]} tries
 * the item and then the attribute; what is not found is {@link Undefined}, and any access on an Undefined is an
 * error naming what was missing.
 */
final class Access {
    private Access() {
    }

    static Object attribute(Object target, String name) {
        if (target instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        Object found = ownAttribute(target, name);
        if (found != Values.MISSING) {
            return found;
        }
        found = ownItem(target, name);
        if (found != Values.MISSING) {
            return found;
        }
        return new Undefined("'" + Values.objectDescription(target) + "' has no attribute '" + name + "'");
    }

    static Object item(Object target, Object key) {
        if (target instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        Object found = ownItem(target, key);
        if (found != Values.MISSING) {
            return found;
        }
        if (key instanceof String name) {
            found = ownAttribute(target, name);
            if (found != Values.MISSING) {
                return found;
            }
            return new Undefined("'" + Values.objectDescription(target) + "' has no attribute '" + name + "'");
        }
        return new Undefined("'" + Values.objectDescription(target) + "' has no element " + Values.repr(key));
    }

    private static Object ownAttribute(Object target, String name) {
        if (target instanceof String s) {
            JinjaCallable m = StringMethods.of(s, name);
            return m == null ? Values.MISSING : m;
        }
        if (target instanceof Map<?, ?> map) {
            JinjaCallable m = StringMethods.ofDict(map, name);
            return m == null ? Values.MISSING : m;
        }
        if (target instanceof List<?> list) {
            JinjaCallable m = StringMethods.ofList(list, name);
            return m == null ? Values.MISSING : m;
        }
        if (target instanceof Namespace ns) {
            return ns.attributes.containsKey(name) ? ns.attributes.get(name) : Values.MISSING;
        }
        if (target instanceof LoopState loop) {
            return loop.attribute(name);
        }
        return Values.MISSING;
    }

    private static Object ownItem(Object target, Object key) {
        if (target instanceof Map<?, ?> map) {
            Object k = Values.findKey(map, key);
            return k == Values.MISSING ? Values.MISSING : map.get(k);
        }
        if (target instanceof List<?> list && isInt(key)) {
            long i = index(key);
            if (i < 0) {
                i += list.size();
            }
            return i >= 0 && i < list.size() ? list.get((int) i) : Values.MISSING;
        }
        if (target instanceof String s && isInt(key)) {
            List<Object> chars = Values.iterate(s);
            long i = index(key);
            if (i < 0) {
                i += chars.size();
            }
            return i >= 0 && i < chars.size() ? chars.get((int) i) : Values.MISSING;
        }
        return Values.MISSING;
    }

    private static boolean isInt(Object key) {
        return key instanceof Long || key instanceof Boolean;
    }

    private static long index(Object key) {
        return key instanceof Boolean b ? (b ? 1 : 0) : (Long) key;
    }

    /**
     * Python's {@code seq[start:stop:step]} on a list or a string; null bounds are omitted ones. Unlike items, a
     * slice of something that cannot be sliced is an error: Jinja2 compiles slices to Python's own subscript,
     * bypassing the getitem that turns errors into Undefined.
     */
    static Object slice(Object target, Object start, Object stop, Object step) {
        if (target instanceof Undefined u) {
            throw new JinjaError(u.hint());
        }
        List<Object> items;
        if (target instanceof String s) {
            items = Values.iterate(s);
        } else if (target instanceof List<?> l) {
            items = new ArrayList<>(l);
        } else {
            throw new JinjaError("'" + Values.typeName(target) + "' object is not subscriptable");
        }
        if (!isIndexOrNone(start) || !isIndexOrNone(stop) || !isIndexOrNone(step)) {
            throw new JinjaError("slice indices must be integers or None");
        }
        int n = items.size();
        long st = step == null ? 1 : Values.toIndex(step, "slice indices");
        if (st == 0) {
            throw new JinjaError("slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : bound(Values.toIndex(start, "slice indices"), n, 0, n);
            hi = stop == null ? n : bound(Values.toIndex(stop, "slice indices"), n, 0, n);
        } else {
            lo = start == null ? n - 1 : bound(Values.toIndex(start, "slice indices"), n, -1, n - 1);
            hi = stop == null ? -1 : bound(Values.toIndex(stop, "slice indices"), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
            out.add(items.get((int) i));
        }
        if (target instanceof String) {
            StringBuilder b = new StringBuilder();
            out.forEach(o -> b.append((String) o));
            return b.toString();
        }
        return out;
    }

    private static boolean isIndexOrNone(Object v) {
        return v == null || isInt(v);
    }

    private static long bound(long i, int n, long min, long max) {
        if (i < 0) {
            i += n;
        }
        return Math.max(min, Math.min(max, i));
    }
}
