package org.racro4j.models.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Builds the statement tree of a template from its tokens, with Jinja2's grammar and operator precedence
 * (lowest first): {@code x if c else y}, {@code or}, {@code and}, {@code not}, comparisons and {@code in},
 * {@code + -}, {@code ~}, {@code * / // %}, {@code **}, unary {@code - +}, then a primary with its attribute,
 * item and call suffixes and its {@code |filter} and {@code is test} suffixes.
 */
final class Parser {
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    /** Nesting deeper than this (blocks inside blocks, brackets inside brackets) is refused, not a stack overflow. */
    static final int MAX_DEPTH = 100;

    private final Source source;
    private final List<Token> tokens;
    private int i;
    private int depth;
    private int loops; // for bodies around the current statement (a macro body starts again at 0)

    private Parser(Source source, List<Token> tokens) {
        this.source = source;
        this.tokens = tokens;
    }

    static List<Node> parse(Source source) {
        Parser p = new Parser(source, Lexer.tokenize(source));
        List<Node> body = p.body(Set.of());
        if (p.peek().type() != Token.Type.EOF) {
            Token t = p.peek();
            throw p.source.error(t.offset(), "unexpected '{% " + t.text() + " %}' with no block to close");
        }
        return body;
    }

    // ---- statements ----

    /**
     * Statements up to one of {@code endTags} (a block tag whose first name is in the set) or the end of the
     * template. On return at an end tag, the tag's '{%' has been consumed and the current token is its name.
     */
    private List<Node> body(Set<String> endTags) {
        enter();
        try {
            return bodyInner(endTags);
        } finally {
            depth--;
        }
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw source.error(peek().offset(), "nested more than " + MAX_DEPTH + " levels deep");
        }
    }

    private List<Node> bodyInner(Set<String> endTags) {
        List<Node> nodes = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.type()) {
                case EOF -> {
                    return nodes;
                }
                case TEXT -> {
                    next();
                    nodes.add(new Node.Text(t.text(), t.offset()));
                }
                case VAR_BEGIN -> {
                    next();
                    Expr e = expression();
                    expect(Token.Type.VAR_END, "'}}'");
                    nodes.add(new Node.Print(e, t.offset()));
                }
                case BLOCK_BEGIN -> {
                    next();
                    Token name = peek();
                    if (name.type() != Token.Type.NAME) {
                        throw source.error(name.offset(), "expected a statement name after '{%', found " + name.describe());
                    }
                    if (endTags.contains(name.text())) {
                        return nodes;
                    }
                    nodes.add(statement(name));
                }
                default -> throw source.error(t.offset(), "unexpected " + t.describe());
            }
        }
    }

    private Node statement(Token name) {
        int at = name.offset();
        switch (name.text()) {
            case "if" -> {
                next();
                return ifStatement(at);
            }
            case "for" -> {
                next();
                return forStatement(at);
            }
            case "set" -> {
                next();
                return setStatement(at);
            }
            case "macro" -> {
                next();
                return macro(at);
            }
            case "break", "continue" -> {
                if (loops == 0) {
                    throw source.error(at, "'{% " + name.text() + " %}' outside a loop");
                }
                next();
                endOfTag();
                return name.text().equals("break") ? new Node.Break(at) : new Node.Continue(at);
            }
            case "generation" -> {
                next();
                endOfTag();
                List<Node> b = body(Set.of("endgeneration"));
                closeBlock("endgeneration", "generation", at);
                return new Node.Block(b, at);
            }
            case "endif", "endfor", "endset", "endmacro", "else", "elif", "endgeneration" ->
                throw source.error(at, "unexpected '{% " + name.text() + " %}' with no block to close");
            default -> throw source.error(at, "unknown statement '" + name.text() + "' (this interpreter knows "
                                              + "if, for, set, macro, break, continue, generation, raw)");
        }
    }

    private Node ifStatement(int at) {
        List<Expr> tests = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        List<Node> otherwise = List.of();
        tests.add(expression());
        endOfTag();
        while (true) {
            bodies.add(body(Set.of("elif", "else", "endif")));
            Token tag = peek();
            if (tag.type() != Token.Type.NAME) {
                throw source.error(at, "'{% if %}' is never closed with '{% endif %}'");
            }
            next();
            if (tag.text().equals("elif")) {
                tests.add(expression());
                endOfTag();
            } else if (tag.text().equals("else")) {
                endOfTag();
                otherwise = body(Set.of("endif"));
                closeBlock("endif", "if", at);
                break;
            } else {
                endOfTag();
                break;
            }
        }
        return new Node.If(tests, bodies, otherwise, at);
    }

    private Node forStatement(int at) {
        List<String> targets = new ArrayList<>();
        boolean parenthesized = peek().isOp("(");
        if (parenthesized) {
            next();
        }
        targets.add(expectName("a loop variable"));
        while (peek().isOp(",")) {
            next();
            targets.add(expectName("a loop variable"));
        }
        if (parenthesized) {
            expectOp(")");
        }
        expectKeyword("in");
        Expr iterable = orExpression(); // not a conditional: the 'if' that may follow filters the items
        Expr filter = null;
        if (peek().isName("if")) {
            next();
            filter = expression();
        }
        if (peek().isName("recursive")) {
            throw source.error(peek().offset(), "recursive loops are not supported");
        }
        endOfTag();
        loops++;
        List<Node> b;
        try {
            b = body(Set.of("else", "endfor"));
        } finally {
            loops--;
        }
        List<Node> otherwise = List.of();
        Token tag = peek();
        if (tag.type() != Token.Type.NAME) {
            throw source.error(at, "'{% for %}' is never closed with '{% endfor %}'");
        }
        next();
        endOfTag();
        if (tag.text().equals("else")) {
            otherwise = body(Set.of("endfor"));
            closeBlock("endfor", "for", at);
        }
        return new Node.For(targets, iterable, filter, b, otherwise, at);
    }

    private Node setStatement(int at) {
        String first = expectName("a variable name");
        if (peek().isOp(".")) {
            next();
            String attr = expectName("an attribute name");
            expectOp("=");
            Expr value = expression();
            endOfTag();
            return new Node.Set(List.of(first), attr, value, at);
        }
        List<String> names = new ArrayList<>();
        names.add(first);
        while (peek().isOp(",")) {
            next();
            names.add(expectName("a variable name"));
        }
        if (peek().type() == Token.Type.BLOCK_END && names.size() == 1) {
            endOfTag();
            List<Node> b = body(Set.of("endset"));
            closeBlock("endset", "set", at);
            return new Node.SetBlock(first, b, at);
        }
        expectOp("=");
        Expr value = expression();
        if (peek().isOp(",")) { // set a, b = 1, 2
            List<Expr> items = new ArrayList<>(List.of(value));
            while (peek().isOp(",")) {
                next();
                items.add(expression());
            }
            value = new Expr.TupleLit(items, value.pos());
        }
        endOfTag();
        return new Node.Set(names, null, value, at);
    }

    private Node macro(int at) {
        String name = expectName("a macro name");
        expectOp("(");
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) {
                expectOp(",");
            }
            params.add(expectName("a parameter name"));
            if (peek().isOp("=")) {
                next();
                defaults.add(expression());
            } else {
                if (!defaults.isEmpty() && defaults.get(defaults.size() - 1) != null) {
                    throw source.error(peek().offset(), "a parameter without a default follows one with a default");
                }
                defaults.add(null);
            }
        }
        expectOp(")");
        endOfTag();
        int outerLoops = loops;
        loops = 0;
        List<Node> b;
        try {
            b = body(Set.of("endmacro"));
        } finally {
            loops = outerLoops;
        }
        closeBlock("endmacro", "macro", at);
        return new Node.Macro(name, params, defaults, b, at);
    }

    private void closeBlock(String endTag, String opened, int at) {
        Token t = peek();
        if (!t.isName(endTag)) {
            throw source.error(at, "'{% " + opened + " %}' is never closed with '{% " + endTag + " %}'");
        }
        next();
        endOfTag();
    }

    private void endOfTag() {
        Token t = peek();
        if (t.type() != Token.Type.BLOCK_END) {
            throw source.error(t.offset(), "expected '%}', found " + t.describe());
        }
        next();
    }

    // ---- expressions ----

    Expr expression() {
        enter();
        try {
            return conditional();
        } finally {
            depth--;
        }
    }

    private Expr conditional() {
        Expr e = orExpression();
        while (peek().isName("if")) {
            int at = next().offset();
            Expr test = orExpression();
            Expr otherwise = null;
            if (peek().isName("else")) {
                next();
                otherwise = expression();
            }
            e = new Expr.Conditional(test, e, otherwise, at);
        }
        return e;
    }

    private Expr orExpression() {
        Expr left = andExpression();
        while (peek().isName("or")) {
            int at = next().offset();
            left = new Expr.Binary("or", left, andExpression(), at);
        }
        return left;
    }

    private Expr andExpression() {
        Expr left = notExpression();
        while (peek().isName("and")) {
            int at = next().offset();
            left = new Expr.Binary("and", left, notExpression(), at);
        }
        return left;
    }

    private Expr notExpression() {
        if (peek().isName("not")) {
            int at = next().offset();
            enter();
            try {
                return new Expr.Unary("not", notExpression(), at);
            } finally {
                depth--;
            }
        }
        return comparison();
    }

    private Expr comparison() {
        Expr first = sum();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.type() == Token.Type.OP && COMPARE_OPS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peekAt(1).isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            rest.add(sum());
        }
        return ops.isEmpty() ? first : new Expr.Compare(first, ops, rest, first.pos());
    }

    private Expr sum() {
        Expr left = concat();
        while (peek().isOp("+") || peek().isOp("-")) {
            Token op = next();
            left = new Expr.Binary(op.text(), left, concat(), op.offset());
        }
        return left;
    }

    private Expr concat() {
        Expr first = product();
        if (!peek().isOp("~")) {
            return first;
        }
        List<Expr> parts = new ArrayList<>(List.of(first));
        while (peek().isOp("~")) {
            next();
            parts.add(product());
        }
        return new Expr.Concat(parts, first.pos());
    }

    private Expr product() {
        Expr left = power();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            Token op = next();
            left = new Expr.Binary(op.text(), left, power(), op.offset());
        }
        return left;
    }

    private Expr power() {
        Expr left = unary(true);
        while (peek().isOp("**")) {
            Token op = next();
            left = new Expr.Binary("**", left, unary(true), op.offset());
        }
        return left;
    }

    private Expr unary(boolean withFilter) {
        Token t = peek();
        Expr e;
        if (t.isOp("-") || t.isOp("+")) {
            next();
            enter();
            try {
                e = new Expr.Unary(t.text(), unary(false), t.offset());
            } finally {
                depth--;
            }
        } else {
            e = primary();
        }
        e = postfix(e);
        if (withFilter) {
            e = filtersAndTests(e);
        }
        return e;
    }

    private Expr primary() {
        Token t = next();
        switch (t.type()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Literal(Boolean.TRUE, t.offset());
                    case "false", "False" -> new Expr.Literal(Boolean.FALSE, t.offset());
                    case "none", "None" -> new Expr.Literal(null, t.offset());
                    default -> new Expr.Name(t.text(), t.offset());
                };
            }
            case STRING -> {
                StringBuilder s = new StringBuilder((String) t.value());
                while (peek().type() == Token.Type.STRING) { // adjacent literals join, as in Python
                    s.append((String) next().value());
                }
                return new Expr.Literal(s.toString(), t.offset());
            }
            case INT, FLOAT -> {
                return new Expr.Literal(t.value(), t.offset());
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        if (peek().isOp(")")) {
                            next();
                            return new Expr.TupleLit(List.of(), t.offset());
                        }
                        Expr e = expression();
                        if (!peek().isOp(",")) {
                            expectOp(")");
                            return e;
                        }
                        List<Expr> items = new ArrayList<>(List.of(e));
                        while (peek().isOp(",")) {
                            next();
                            if (peek().isOp(")")) {
                                break;
                            }
                            items.add(expression());
                        }
                        expectOp(")");
                        return new Expr.TupleLit(items, t.offset());
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            if (!items.isEmpty()) {
                                expectOp(",");
                                if (peek().isOp("]")) {
                                    break;
                                }
                            }
                            items.add(expression());
                        }
                        expectOp("]");
                        return new Expr.ListLit(items, t.offset());
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            if (!keys.isEmpty()) {
                                expectOp(",");
                                if (peek().isOp("}")) {
                                    break;
                                }
                            }
                            keys.add(expression());
                            expectOp(":");
                            values.add(expression());
                        }
                        expectOp("}");
                        return new Expr.DictLit(keys, values, t.offset());
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        throw source.error(t.offset(), "expected an expression, found " + t.describe());
    }

    private Expr postfix(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token name = next();
                if (name.type() == Token.Type.NAME) {
                    e = new Expr.GetAttr(e, name.text(), t.offset());
                } else if (name.type() == Token.Type.INT) {
                    e = new Expr.GetItem(e, new Expr.Literal(name.value(), name.offset()), t.offset());
                } else {
                    throw source.error(name.offset(), "expected an attribute name after '.', found " + name.describe());
                }
            } else if (t.isOp("[")) {
                next();
                e = subscript(e, t.offset());
            } else if (t.isOp("(")) {
                e = call(e);
            } else {
                return e;
            }
        }
    }

    private Expr subscript(Expr target, int at) {
        Expr start = null;
        if (!peek().isOp(":")) {
            start = expression();
            if (peek().isOp("]")) {
                next();
                return new Expr.GetItem(target, start, at);
            }
        }
        expectOp(":");
        Expr stop = null;
        Expr step = null;
        if (!peek().isOp("]") && !peek().isOp(":")) {
            stop = expression();
        }
        if (peek().isOp(":")) {
            next();
            if (!peek().isOp("]")) {
                step = expression();
            }
        }
        expectOp("]");
        return new Expr.Slice(target, start, stop, step, at);
    }

    private Expr call(Expr callee) {
        expectOp("(");
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        arguments(args, kwNames, kwValues);
        return new Expr.Call(callee, args, kwNames, kwValues, callee.pos()); // errors point at what is called
    }

    /** Reads {@code (a, b, k=v)} after the '(' has been consumed, through the ')'. */
    private void arguments(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {
        while (!peek().isOp(")")) {
            if (!args.isEmpty() || !kwNames.isEmpty()) {
                expectOp(",");
                if (peek().isOp(")")) {
                    break;
                }
            }
            if (peek().type() == Token.Type.NAME && peekAt(1).isOp("=")) {
                kwNames.add(next().text());
                next();
                kwValues.add(expression());
            } else {
                if (!kwNames.isEmpty()) {
                    throw source.error(peek().offset(), "a positional argument follows a keyword argument");
                }
                args.add(expression());
            }
        }
        expectOp(")");
    }

    private Expr filtersAndTests(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                next();
                int nameAt = peek().offset();
                String name = dottedName("a filter name");
                if (!Filters.known(name)) {
                    throw source.error(nameAt, "unknown filter '" + name + "'");
                }
                List<Expr> args = new ArrayList<>();
                List<String> kwNames = new ArrayList<>();
                List<Expr> kwValues = new ArrayList<>();
                if (peek().isOp("(")) {
                    next();
                    arguments(args, kwNames, kwValues);
                }
                e = new Expr.Filter(e, name, args, kwNames, kwValues, t.offset());
            } else if (t.isName("is")) {
                next();
                boolean negated = false;
                if (peek().isName("not")) {
                    next();
                    negated = true;
                }
                int nameAt = peek().offset();
                String name = dottedName("a test name");
                if (!Tests.known(name)) {
                    throw source.error(nameAt, "unknown test '" + name + "'");
                }
                List<Expr> args = new ArrayList<>();
                Token a = peek();
                if (a.isOp("(")) {
                    next();
                    List<String> kwNames = new ArrayList<>();
                    arguments(args, kwNames, new ArrayList<>());
                    if (!kwNames.isEmpty()) {
                        throw source.error(a.offset(), "tests take no keyword arguments");
                    }
                } else if ((a.type() == Token.Type.NAME || a.type() == Token.Type.STRING || a.type() == Token.Type.INT
                            || a.type() == Token.Type.FLOAT || a.isOp("[") || a.isOp("{"))
                           && !a.isName("else") && !a.isName("or") && !a.isName("and")) {
                    if (a.isName("is")) {
                        throw source.error(a.offset(), "'is' cannot follow a test name");
                    }
                    args.add(postfix(primary())); // `x is sameas false`, `n is divisibleby 3`
                }
                e = new Expr.Test(e, name, args, negated, t.offset());
            } else if (t.isOp("(")) {
                e = call(e);
            } else {
                return e;
            }
        }
    }

    private String dottedName(String what) {
        StringBuilder name = new StringBuilder(expectName(what));
        while (peek().isOp(".") && peekAt(1).type() == Token.Type.NAME) {
            next();
            name.append('.').append(next().text());
        }
        return name.toString();
    }

    // ---- token helpers ----

    private Token peek() {
        return tokens.get(i);
    }

    private Token peekAt(int ahead) {
        return tokens.get(Math.min(i + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(i);
        if (t.type() != Token.Type.EOF) {
            i++;
        }
        return t;
    }

    private void expect(Token.Type type, String what) {
        Token t = peek();
        if (t.type() != type) {
            throw source.error(t.offset(), "expected " + what + ", found " + t.describe());
        }
        next();
    }

    private Token expectOp(String op) {
        Token t = peek();
        if (!t.isOp(op)) {
            throw source.error(t.offset(), "expected '" + op + "', found " + t.describe());
        }
        return next();
    }

    private void expectKeyword(String word) {
        Token t = peek();
        if (!t.isName(word)) {
            throw source.error(t.offset(), "expected '" + word + "', found " + t.describe());
        }
        next();
    }

    private String expectName(String what) {
        Token t = peek();
        if (t.type() != Token.Type.NAME) {
            throw source.error(t.offset(), "expected " + what + ", found " + t.describe());
        }
        return next().text();
    }
}
