package org.racro4j.models.chat;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a parsed template. Scoping follows Jinja2: {@code if} opens no scope; each pass through a {@code for}
 * body has its own, so a {@code set} inside a loop is invisible after it (which is why templates carry state out
 * of loops in a {@code namespace()}); macros see the scope they were defined in.
 *
 * <p>Globals, as Hugging Face provides them: {@code namespace}, {@code raise_exception}, {@code strftime_now},
 * and Jinja2's {@code range} and {@code dict}. A problem while rendering becomes a {@link TemplateException} at
 * the innermost expression or statement where it happened.
 */
final class Interpreter {
    /** Jinja2's sandbox refuses ranges longer than this; so do we. */
    private static final int MAX_RANGE = 100_000;

    /** Macro calls nested deeper than this are refused (Python would raise RecursionError near 1000 frames). */
    static final int MAX_MACRO_DEPTH = 100;

    private static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) {
                    return s.vars.get(name);
                }
            }
            return Values.MISSING;
        }
    }

    private static final class LoopControl extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final boolean isBreak;

        LoopControl(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private static final LoopControl BREAK = new LoopControl(true);
    private static final LoopControl CONTINUE = new LoopControl(false);

    private final Source source;
    private int macroDepth;

    private Interpreter(Source source) {
        this.source = source;
    }

    static String render(Source source, List<Node> nodes, Map<String, ?> context) {
        Interpreter interpreter = new Interpreter(source);
        Scope globals = new Scope(null);
        globals.vars.put("namespace", (JinjaCallable) Interpreter::namespace);
        globals.vars.put("raise_exception", (JinjaCallable) Interpreter::raiseException);
        globals.vars.put("range", (JinjaCallable) Interpreter::range);
        globals.vars.put("dict", (JinjaCallable) (args, kwargs) -> {
            Args.bind("dict", args, Map.of());
            return new LinkedHashMap<Object, Object>(kwargs);
        });
        globals.vars.put("strftime_now", (JinjaCallable) Interpreter::strftimeNow);
        Scope top = new Scope(globals);
        for (Map.Entry<String, ?> e : context.entrySet()) {
            top.vars.put(e.getKey(), Values.normalize(e.getValue()));
        }
        StringBuilder out = new StringBuilder();
        try {
            interpreter.run(nodes, top, out);
        } catch (LoopControl c) {
            throw new IllegalStateException("break/continue escaped its loop", c);
        }
        return out.toString();
    }

    // ---- statements ----

    private void run(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node node : nodes) {
            exec(node, scope, out);
        }
    }

    private void exec(Node node, Scope scope, StringBuilder out) {
        if (node instanceof Node.Text t) {
            out.append(t.text());
        } else if (node instanceof Node.Print p) {
            out.append(Values.str(eval(p.value(), scope)));
        } else if (node instanceof Node.If n) {
            for (int k = 0; k < n.tests().size(); k++) {
                if (Values.truthy(eval(n.tests().get(k), scope))) {
                    run(n.bodies().get(k), scope, out);
                    return;
                }
            }
            run(n.otherwise(), scope, out);
        } else if (node instanceof Node.For n) {
            loop(n, scope, out);
        } else if (node instanceof Node.Set n) {
            assign(n, scope);
        } else if (node instanceof Node.SetBlock n) {
            StringBuilder captured = new StringBuilder();
            run(n.body(), scope, captured);
            scope.vars.put(n.name(), captured.toString());
        } else if (node instanceof Node.Macro n) {
            scope.vars.put(n.name(), macro(n, scope));
        } else if (node instanceof Node.Break) {
            throw BREAK;
        } else if (node instanceof Node.Continue) {
            throw CONTINUE;
        } else if (node instanceof Node.Block b) {
            run(b.body(), scope, out);
        } else {
            throw new IllegalStateException("unknown node " + node);
        }
    }

    private void loop(Node.For n, Scope scope, StringBuilder out) {
        Object iterable = eval(n.iterable(), scope);
        List<Object> items;
        try {
            items = Values.iterate(iterable);
        } catch (JinjaError e) {
            throw source.error(n.iterable().pos(), e.getMessage());
        }
        if (n.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope s = new Scope(scope);
                bindTargets(n.targets(), item, s, n.pos());
                if (Values.truthy(eval(n.filter(), s))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        if (items.isEmpty()) {
            run(n.otherwise(), scope, out);
            return;
        }
        LoopState state = new LoopState(items);
        for (int k = 0; k < items.size(); k++) {
            state.index0 = k;
            Scope s = new Scope(scope);
            bindTargets(n.targets(), items.get(k), s, n.pos());
            s.vars.put("loop", state);
            try {
                run(n.body(), s, out);
            } catch (LoopControl c) {
                if (c.isBreak) {
                    break;
                }
            }
        }
    }

    private void bindTargets(List<String> targets, Object item, Scope scope, int pos) {
        if (targets.size() == 1) {
            scope.vars.put(targets.get(0), item);
            return;
        }
        List<Object> parts;
        try {
            parts = Values.iterate(item);
        } catch (JinjaError e) {
            throw source.error(pos, "cannot unpack " + Values.typeName(item) + " into " + targets.size() + " names");
        }
        if (parts.size() != targets.size()) {
            throw source.error(pos, "cannot unpack " + parts.size() + " values into " + targets.size() + " names");
        }
        for (int k = 0; k < targets.size(); k++) {
            scope.vars.put(targets.get(k), parts.get(k));
        }
    }

    private void assign(Node.Set n, Scope scope) {
        Object value = eval(n.value(), scope);
        if (n.attr() != null) {
            Object target = scope.lookup(n.names().get(0));
            if (!(target instanceof Namespace ns)) {
                throw source.error(n.pos(), "cannot assign attribute '" + n.attr() + "' on '" + n.names().get(0)
                                            + "': only namespace() objects take attribute assignments");
            }
            ns.attributes.put(n.attr(), value);
            return;
        }
        bindTargets(n.names(), value, scope, n.pos());
    }

    private JinjaCallable macro(Node.Macro n, Scope defined) {
        return (args, kwargs) -> {
            if (args.size() > n.params().size()) {
                throw new JinjaError("macro '" + n.name() + "' takes at most " + n.params().size() + " arguments ("
                                     + args.size() + " given)");
            }
            Scope s = new Scope(defined);
            for (int k = 0; k < n.params().size(); k++) {
                String p = n.params().get(k);
                Object v;
                if (k < args.size()) {
                    v = args.get(k);
                } else if (kwargs.containsKey(p)) {
                    v = kwargs.get(p);
                } else if (n.defaults().get(k) != null) {
                    v = eval(n.defaults().get(k), s);
                } else {
                    v = new Undefined("parameter '" + p + "' was not provided");
                }
                s.vars.put(p, v);
            }
            for (String k : kwargs.keySet()) {
                if (!n.params().contains(k)) {
                    throw new JinjaError("macro '" + n.name() + "' takes no keyword argument '" + k + "'");
                }
            }
            if (macroDepth == MAX_MACRO_DEPTH) {
                throw new JinjaError("macro '" + n.name() + "' nested more than " + MAX_MACRO_DEPTH + " calls deep");
            }
            macroDepth++;
            try {
                StringBuilder out = new StringBuilder();
                run(n.body(), s, out);
                return out.toString();
            } finally {
                macroDepth--;
            }
        };
    }

    // ---- expressions ----

    private Object eval(Expr e, Scope scope) {
        try {
            return evalUnchecked(e, scope);
        } catch (JinjaError err) {
            throw source.error(e.pos(), err.getMessage());
        }
    }

    private Object evalUnchecked(Expr e, Scope scope) {
        if (e instanceof Expr.Literal l) {
            return l.value();
        }
        if (e instanceof Expr.Name n) {
            Object v = scope.lookup(n.name());
            return v == Values.MISSING ? new Undefined("'" + n.name() + "' is undefined") : v;
        }
        if (e instanceof Expr.ListLit l) {
            return evalAll(l.items(), scope);
        }
        if (e instanceof Expr.TupleLit t) {
            return evalAll(t.items(), scope);
        }
        if (e instanceof Expr.DictLit d) {
            Map<Object, Object> map = new LinkedHashMap<>();
            for (int k = 0; k < d.keys().size(); k++) {
                map.put(eval(d.keys().get(k), scope), eval(d.values().get(k), scope));
            }
            return map;
        }
        if (e instanceof Expr.GetAttr g) {
            return Access.attribute(eval(g.target(), scope), g.name());
        }
        if (e instanceof Expr.GetItem g) {
            Object target = eval(g.target(), scope);
            return Access.item(target, eval(g.key(), scope));
        }
        if (e instanceof Expr.Slice s) {
            Object target = eval(s.target(), scope);
            return Access.slice(target, optional(s.start(), scope), optional(s.stop(), scope),
                                optional(s.step(), scope));
        }
        if (e instanceof Expr.Call c) {
            Object callee = eval(c.callee(), scope);
            List<Object> args = evalAll(c.args(), scope);
            Map<String, Object> kwargs = evalKeywords(c.kwNames(), c.kwValues(), scope);
            if (callee instanceof JinjaCallable f) {
                return f.call(args, kwargs);
            }
            if (callee instanceof Undefined u) {
                throw new JinjaError(u.hint());
            }
            throw new JinjaError("'" + Values.typeName(callee) + "' object is not callable");
        }
        if (e instanceof Expr.Filter f) {
            Object value = eval(f.value(), scope);
            return Filters.apply(f.name(), value, evalAll(f.args(), scope),
                                 evalKeywords(f.kwNames(), f.kwValues(), scope));
        }
        if (e instanceof Expr.Test t) {
            Object value = eval(t.value(), scope);
            boolean result = Tests.apply(t.name(), value, evalAll(t.args(), scope));
            return result != t.negated();
        }
        if (e instanceof Expr.Unary u) {
            Object v = eval(u.operand(), scope);
            return switch (u.op()) {
                case "not" -> !Values.truthy(v);
                case "-" -> Values.negate(v);
                default -> Values.plus(v);
            };
        }
        if (e instanceof Expr.Binary b) {
            Object left = eval(b.left(), scope);
            if (b.op().equals("and")) {
                return Values.truthy(left) ? eval(b.right(), scope) : left;
            }
            if (b.op().equals("or")) {
                return Values.truthy(left) ? left : eval(b.right(), scope);
            }
            return Values.binary(b.op(), left, eval(b.right(), scope));
        }
        if (e instanceof Expr.Concat c) {
            StringBuilder s = new StringBuilder();
            for (Expr part : c.parts()) {
                s.append(Values.str(eval(part, scope)));
            }
            return s.toString();
        }
        if (e instanceof Expr.Compare c) {
            Object left = eval(c.first(), scope);
            for (int k = 0; k < c.ops().size(); k++) {
                Object right = eval(c.rest().get(k), scope);
                if (!compare(c.ops().get(k), left, right)) {
                    return false;
                }
                left = right;
            }
            return true;
        }
        if (e instanceof Expr.Conditional c) {
            if (Values.truthy(eval(c.test(), scope))) {
                return eval(c.then(), scope);
            }
            return c.otherwise() == null ? new Undefined("the conditional expression had no else branch")
                                         : eval(c.otherwise(), scope);
        }
        throw new IllegalStateException("unknown expression " + e);
    }

    private static boolean compare(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> Values.equal(a, b);
            case "!=" -> !Values.equal(a, b);
            case "<" -> Values.compare(a, b, op) < 0;
            case "<=" -> Values.compare(a, b, op) <= 0;
            case ">" -> Values.compare(a, b, op) > 0;
            case ">=" -> Values.compare(a, b, op) >= 0;
            case "in" -> Values.contains(b, a);
            default -> !Values.contains(b, a);
        };
    }

    private Object optional(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr x : exprs) {
            out.add(eval(x, scope));
        }
        return out;
    }

    private Map<String, Object> evalKeywords(List<String> names, List<Expr> values, Scope scope) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
            if (out.put(names.get(k), eval(values.get(k), scope)) != null || out.size() != k + 1) {
                throw new JinjaError("keyword argument '" + names.get(k) + "' repeated");
            }
        }
        return out;
    }

    // ---- globals ----

    private static Object namespace(List<Object> args, Map<String, Object> kwargs) {
        Namespace ns = new Namespace();
        for (Object a : args) {
            if (!(a instanceof Map<?, ?> m)) {
                throw new JinjaError("namespace() takes dicts and keyword arguments, not " + Values.typeName(a));
            }
            m.forEach((k, v) -> ns.attributes.put(Values.str(k), v));
        }
        ns.attributes.putAll(kwargs);
        return ns;
    }

    private static Object raiseException(List<Object> args, Map<String, Object> kwargs) {
        Object[] b = Args.bind("raise_exception", args, kwargs, "message");
        throw new JinjaError("the template raised an exception: " + Values.str(Args.or(b[0], "")));
    }

    private static Object range(List<Object> args, Map<String, Object> kwargs) {
        Args.bind("range", args, kwargs, "start", "stop", "step");
        long start = 0;
        long stop;
        long step = 1;
        if (args.size() == 1) {
            stop = Values.toIndex(args.get(0), "range() arguments");
        } else if (args.size() >= 2) {
            start = Values.toIndex(args.get(0), "range() arguments");
            stop = Values.toIndex(args.get(1), "range() arguments");
            if (args.size() == 3) {
                step = Values.toIndex(args.get(2), "range() arguments");
            }
        } else {
            throw new JinjaError("range expected at least 1 argument, got 0");
        }
        if (step == 0) {
            throw new JinjaError("range() arg 3 must not be zero");
        }
        List<Object> out = new ArrayList<>();
        for (long v = start; step > 0 ? v < stop : v > stop; v += step) {
            if (out.size() == MAX_RANGE) {
                throw new JinjaError("range too big (the sandbox allows " + MAX_RANGE + " items)");
            }
            out.add(v);
        }
        return out;
    }

    /** Hugging Face's {@code strftime_now(format)}: the local time, formatted by C strftime codes. */
    private static Object strftimeNow(List<Object> args, Map<String, Object> kwargs) {
        Object[] b = Args.bind("strftime_now", args, kwargs, "format");
        return strftime(Args.string("strftime_now", Args.required("strftime_now", b[0], "format"), "format"),
                        LocalDateTime.now());
    }

    static String strftime(String format, LocalDateTime t) {
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < format.length(); k++) {
            char c = format.charAt(k);
            if (c != '%' || k + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char code = format.charAt(++k);
            switch (code) {
                case 'd' -> out.append(String.format(Locale.ROOT, "%02d", t.getDayOfMonth()));
                case 'm' -> out.append(String.format(Locale.ROOT, "%02d", t.getMonthValue()));
                case 'Y' -> out.append(t.getYear());
                case 'y' -> out.append(String.format(Locale.ROOT, "%02d", t.getYear() % 100));
                case 'H' -> out.append(String.format(Locale.ROOT, "%02d", t.getHour()));
                case 'I' -> out.append(String.format(Locale.ROOT, "%02d", (t.getHour() + 11) % 12 + 1));
                case 'M' -> out.append(String.format(Locale.ROOT, "%02d", t.getMinute()));
                case 'S' -> out.append(String.format(Locale.ROOT, "%02d", t.getSecond()));
                case 'p' -> out.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> out.append(String.format(Locale.ROOT, "%03d", t.getDayOfYear()));
                case 'b' -> out.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> out.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case '%' -> out.append('%');
                default -> throw new JinjaError("strftime code %" + code + " is not supported");
            }
        }
        return out.toString();
    }
}
