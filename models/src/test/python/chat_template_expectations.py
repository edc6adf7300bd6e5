"""Writes the expected outputs the chat-template tests compare against, rendered by the real Jinja2.

The Java tests (models/src/test/java/org/racro4j/models/chat) check racro4j's interpreter against text produced
here once, by Python's jinja2 configured as Hugging Face's transformers configures it in
``tokenizer.apply_chat_template`` (``_compile_jinja_template``): an ImmutableSandboxedEnvironment with
``trim_blocks=True, lstrip_blocks=True`` and the loopcontrols extension, ``tojson`` redefined as
``json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)``, ``raise_exception`` and
``strftime_now`` as globals, and ``render(messages=..., tools=None, documents=None, add_generation_prompt=...,
**special_tokens, **kwargs)``.

Usage (Debian's python3-jinja2, 3.1.x, is enough; nothing is downloaded):
    python3 chat_template_expectations.py templates > ChatTemplateExpectedText.java.part
    python3 chat_template_expectations.py expressions > ../resources/org/racro4j/models/chat/expressions.json
    python3 chat_template_expectations.py snippets > ../resources/org/racro4j/models/chat/snippets.json
The first prints the Java test methods pasted into HuggingFaceTemplatesTest; the second writes the random
expression corpus ExpressionCorpusTest reads; the third the statement and whitespace cases JinjaSnippetsTest reads.
"""
import datetime
import json
import os
import random
import sys
import warnings

import jinja2
import jinja2.ext
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(HERE, "..", "resources", "org", "racro4j", "models", "chat")


class StringFormatting(Exception):
    """A case racro4j refuses on purpose: printf-style '%' formatting of strings."""


class NoStringFormatting(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["%"])

    def call_binop(self, context, operator, left, right):
        if operator == "%" and isinstance(left, str):
            raise StringFormatting()
        return super().call_binop(context, operator, left, right)


def environment(cls=ImmutableSandboxedEnvironment, optimized=True):
    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.datetime.now().strftime(fmt)

    env = cls(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols], optimized=optimized)
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def special_tokens(config):
    tokens = {}
    for role in ("bos_token", "eos_token", "pad_token", "unk_token"):
        value = config.get(role)
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str):
            tokens[role] = value
    return tokens


# (template directory, conversation, add_generation_prompt)
CASES = [
    ("qwen2.5", "system_user", True),
    ("qwen2.5", "user_only", True),
    ("qwen2.5", "multi_turn", True),
    ("qwen2.5", "multi_turn_ending_assistant", False),
    ("qwen2.5", "tools", True),
    ("qwen2.5", "tool_call_round", True),
    ("qwen2.5", "unicode", True),
    ("qwen3", "system_user", True),
    ("qwen3", "user_only", True),
    ("qwen3", "multi_turn", True),
    ("qwen3", "multi_turn_ending_assistant", False),
    ("qwen3", "think_history", True),
    ("qwen3", "think_last", False),
    ("qwen3", "reasoning_content", False),
    ("qwen3", "no_thinking", True),
    ("qwen3", "thinking_on", True),
    ("qwen3", "tools_no_system", True),
    ("qwen3", "tool_call_round", True),
    ("llama3", "system_user", True),
    ("llama3", "user_only", True),
    ("llama3", "multi_turn", True),
    ("llama3", "multi_turn_ending_assistant", False),
    ("llama3", "whitespace", False),
    ("deepseek-r1-distill", "system_user", True),
    ("deepseek-r1-distill", "user_only", True),
    ("deepseek-r1-distill", "multi_turn", True),
    ("deepseek-r1-distill", "multi_turn_ending_assistant", False),
    ("deepseek-r1-distill", "think_history", True),
    ("deepseek-r1-distill", "unicode", True),
    ("llava-next", "multimodal", True),
    ("llava-next", "multimodal", False),
    ("llava-next", "multimodal_tool_role", True),
]


def java_literal(text):
    """A Java expression for text: one string literal per line, joined with +."""
    pieces = text.split("\n")
    parts = [p + "\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    if not parts:
        return '""'
    out = []
    for part in parts:
        escaped = []
        for ch in part:
            if ch == "\\":
                escaped.append("\\\\")
            elif ch == '"':
                escaped.append('\\"')
            elif ch == "\n":
                escaped.append("\\n")
            elif ch == "\t":
                escaped.append("\\t")
            elif ch == "\r":
                escaped.append("\\r")
            elif ord(ch) < 0x20:
                escaped.append("\\u%04x" % ord(ch))
            else:
                escaped.append(ch)
        out.append('"' + "".join(escaped) + '"')
    return "\n            + ".join(out)


def method_name(template, case, generation):
    t = template.replace(".", "_").replace("-", "_")
    parts = case.split("_")
    c = parts[0] + "".join(p.capitalize() for p in parts[1:])
    return "%s_%s%s" % (t, c, "_withGenerationPrompt" if generation else "")


def templates():
    env = environment()
    conversations = json.load(open(os.path.join(RESOURCES, "conversations.json"), encoding="utf-8"))
    print("    // ---- generated by models/src/test/python/chat_template_expectations.py (jinja2 %s) ----"
          % jinja2.__version__)
    for template, case, generation in CASES:
        directory = os.path.join(RESOURCES, template)
        config_file = os.path.join(directory, "tokenizer_config.json")
        config = json.load(open(config_file, encoding="utf-8")) if os.path.exists(config_file) else {}
        processor_file = os.path.join(directory, "chat_template.json")  # a processor's template comes first
        if os.path.exists(processor_file):
            config["chat_template"] = json.load(open(processor_file, encoding="utf-8"))["chat_template"]
        conversation = conversations[case]
        kwargs = dict(special_tokens(config))
        kwargs.update(conversation.get("kwargs", {}))
        tools = kwargs.pop("tools", None)
        print()
        print("    @Test")
        print("    void %s() {" % method_name(template, case, generation))
        try:
            text = env.from_string(config["chat_template"]).render(
                messages=conversation["messages"], tools=tools, documents=None, add_generation_prompt=generation,
                **kwargs)
            print('        assertRendered("%s", "%s", %s,' % (template, case, "true" if generation else "false"))
            print("            " + java_literal(text) + ");")
        except TemplateError as e:
            print('        assertRefused("%s", "%s", %s, %s);' % (template, case, "true" if generation else "false",
                                                                 java_literal(str(e))))
        print("    }")


# ---- the random expression corpus ----

CONTEXT = {
    "n": 7, "m": -2, "f": 2.5, "s": "Hello World", "t": "  pad\t", "e": "", "xs": [3, 1, 2], "ws": ["b", "A", "c"],
    "d": {"k": 1, "j": "v"}, "deep": {"a": {"b": [1, {"c": "deep"}]}}, "nn": None, "yes": True, "no": False,
}

ATOMS = ["n", "m", "f", "s", "t", "e", "xs", "ws", "d", "nn", "yes", "no", "nope", "deep.a.b", "deep.a.b[1].c",
         "0", "1", "2", "3", "-4", "12", "0.5", "2.25", "1e3", "0.1", "'ab'", "\"x y\"", "''", "'A\\nB'", "'é€'",
         "True", "False", "None", "none", "true", "[1, 2]", "['q', 'r']", "[]", "{'z': 3}", "d.k", "d['j']",
         "d.nokey", "xs[0]", "xs[-1]", "xs[9]", "s[1:4]", "s[::-1]", "xs[::-1]", "s[-3:]", "ws[1:]"]

BINARY = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in", "not in"]
FILTERS = ["length", "upper", "lower", "trim", "string", "first", "last", "reverse|list", "join(',')", "join",
           "default('z')", "default('z', true)", "int", "float", "abs", "tojson", "list", "sort|list",
           "unique|list", "round(1)", "round", "capitalize", "title", "count", "sum", "min", "max", "wordcount",
           "replace('l', 'L')", "tojson(indent=2)", "tojson(sort_keys=true)", "select('odd')|list",
           "reject('none')|list", "map('upper')|list", "indent(2)", "e", "d('dflt')"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "sequence", "iterable",
         "even", "odd", "true", "false", "boolean", "divisibleby(3)", "eq(7)", "in([1, 2, 3])", "lower", "upper"]
METHODS = ["startswith('He')", "endswith(('d', 'x'))", "split()", "split(' ')", "split('l', 1)", "rsplit('o', 1)",
           "strip()", "lstrip()", "rstrip('\\t')", "upper()", "lower()", "replace('o', '0')", "find('o')",
           "count('l')", "title()", "capitalize()", "get('k')", "get('zz', 5)", "isdigit()"]


def random_expression(rng, depth):
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(ATOMS)
    kind = rng.random()
    sub = lambda: random_expression(rng, depth - 1)
    wrap = lambda x: "(" + x + ")" if rng.random() < 0.6 else x
    if kind < 0.30:
        return wrap(sub()) + " " + rng.choice(BINARY) + " " + wrap(sub())
    if kind < 0.45:
        return wrap(sub()) + "|" + rng.choice(FILTERS)
    if kind < 0.55:
        return wrap(sub()) + " is " + rng.choice(["", "not "]) + rng.choice(TESTS)
    if kind < 0.65:
        return "(" + sub() + ")." + rng.choice(METHODS)
    if kind < 0.72:
        return "not " + wrap(sub())
    if kind < 0.80:
        return wrap(sub()) + " if " + wrap(sub()) + " else " + wrap(sub())
    if kind < 0.86:
        return "-" + wrap(sub())
    if kind < 0.93:
        return "[" + sub() + ", " + sub() + "]"
    return wrap(sub()) + "[" + rng.choice(["0", "-1", "1:", ":2", "::2", "'k'"]) + "]"


def printable(value):
    """Whether str(value) is the same in Python and racro4j (no tuples, iterators or dict views)."""
    if isinstance(value, (tuple, set, frozenset)) or type(value).__name__.endswith(("iterator", "generator", "view")):
        return False
    if type(value).__name__ in ("dict_items", "dict_keys", "dict_values", "LoopContext", "Namespace", "Macro"):
        return False
    if callable(value):
        return False
    if isinstance(value, list):
        return all(printable(v) for v in value)
    if isinstance(value, dict):
        return all(printable(k) and printable(v) for k, v in value.items())
    return True


def expressions():
    warnings.simplefilter("ignore", SyntaxWarning)  # Python's compiler remarks on constant subscripts like 1[0]
    # Without constant folding: Jinja2 folds constant sub-expressions through environment.getitem, which makes
    # e.g. 0.5[1:] undefined when folded but a TypeError at run time; templates work on run-time values.
    env = environment(NoStringFormatting, optimized=False)
    rng = random.Random(20261206)
    corpus = []
    seen = set()
    errors = 0
    while len(corpus) - errors < 500:
        expr = random_expression(rng, rng.choice([1, 2, 2, 3, 3]))
        if expr in seen:
            continue
        seen.add(expr)
        try:
            result = env.from_string("{{ " + expr + " }}").render(**CONTEXT)
            raw = env.compile_expression(expr, undefined_to_none=False)(**CONTEXT)
            if not printable(raw):
                continue
            corpus.append({"expr": expr, "out": result})
        except (jinja2.exceptions.TemplateSyntaxError, StringFormatting):
            continue
        except Exception as e:  # TypeError, UndefinedError, ZeroDivisionError ...: racro4j must refuse it too
            if errors < 250:
                errors += 1
                corpus.append({"expr": expr, "error": type(e).__name__})
    json.dump({"jinja2": jinja2.__version__, "context": CONTEXT, "cases": corpus}, sys.stdout, ensure_ascii=False,
              indent=1)
    sys.stdout.write("\n")


# ---- small templates for the statements and the whitespace rules ----

SNIPPETS = [
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nafter", {}),
    ("lstrip_blocks", "line\n    {% if true %}\n    kept indent\n    {% endif %}\nend", {}),
    ("lstrip_not_for_variables", "a\n    {{ 'x' }}\n", {}),
    ("lstrip_only_when_alone_on_line", "a  {% if true %}b{% endif %}  c", {}),
    ("minus_left_and_right", "a  \n  {%- if true -%}  \n  b  \n  {%- endif -%}  \n  c", {}),
    ("minus_on_variables", "a \n {{- 'x' -}} \n b", {}),
    ("plus_disables_lstrip", "a\n    {%+ if true %}b{% endif %}", {}),
    ("plus_disables_trim", "{% if true +%}\nb{% endif %}", {}),
    ("comment_trimmed", "a\n  {# note #}\nb {#- tight -#} c", {}),
    ("raw_block", "{% raw %}{{ not evaluated }} {% if %}{% endraw %}!", {}),
    ("crlf_text", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n", {}),
    ("for_loop_vars", "{% for x in xs %}{{ loop.index }}/{{ loop.length }}:{{ x }}{{ ',' if not loop.last }}"
                      "{% if loop.first %}F{% endif %}{{ loop.revindex0 }}{% endfor %}", {"xs": ["a", "b", "c"]}),
    ("for_else", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", {}),
    ("for_filter", "{% for x in xs if x > 1 %}{{ loop.index0 }}={{ x }} {% endfor %}", {"xs": [3, 1, 2]}),
    ("for_unpack", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {"d": {"a": 1, "b": [2]}}),
    ("for_over_dict", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"x": 1, "y": 2}}),
    ("for_prev_next", "{% for x in xs %}[{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}]{% endfor %}",
     {"xs": [1, 2, 3]}),
    ("loop_cycle", "{% for x in xs %}{{ loop.cycle('odd', 'even') }} {% endfor %}", {"xs": [1, 2, 3]}),
    ("nested_loops", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}"
                     "{{ loop.index }}|{% endfor %}", {}),
    ("break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x > 4 %}"
                       "{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("set_scoping", "{% set a = 1 %}{% for x in [1, 2] %}{% set a = a + x %}{{ a }}{% endfor %}|{{ a }}", {}),
    ("set_in_if_is_visible", "{% if true %}{% set a = 'in if' %}{% endif %}{{ a }}", {}),
    ("namespace", "{% set ns = namespace(total=0, seen=false) %}{% for x in [1, 2, 3] %}"
                  "{% set ns.total = ns.total + x %}{% set ns.seen = true %}{% endfor %}{{ ns.total }} {{ ns.seen }}",
     {}),
    ("set_block", "{% set greeting %}Hello {{ name }}!{% endset %}[{{ greeting|upper }}]", {"name": "Ann"}),
    ("set_tuple", "{% set a, b = 'xy' %}{{ b }}{{ a }}", {}),
    ("macro", "{% macro tag(name, value='none') %}<{{ name }}={{ value }}>{% endmacro %}"
              "{{ tag('a') }}{{ tag('b', 2) }}{{ tag(value=3, name='c') }}", {}),
    ("conditional_expression", "{{ 'a' if x else 'b' }}{{ 'c' if not x }}|{{ 'd' if x }}", {"x": False}),
    ("undefined_prints_nothing", "[{{ nope }}][{{ d.nokey }}][{{ xs[10] }}][{{ nope|default('dflt') }}]",
     {"d": {}, "xs": [1]}),
    ("string_escapes", "{{ 'tab\\tq\\'\\\\n\\x41\\u00e9\\101' }}|{{ \"d\\\"q\" }}|{{ 'keep\\d' }}", {}),
    ("adjacent_strings", "{{ 'a' 'b' \"c\" }}", {}),
    ("tojson_forms", "{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ [1.0, 'é', none, true]|tojson }}"
                     "|{{ d|tojson(separators=(',', ':')) }}|{{ 'é<&>'|tojson(ensure_ascii=true) }}",
     {"d": {"b": [1, {"c": None}], "a": "x\ny\"z"}}),
    ("selectattr_map", "{{ ms|selectattr('role', 'equalto', 'user')|map(attribute='content')|join(', ') }}"
                       "|{{ ms|rejectattr('role', 'eq', 'user')|list|length }}",
     {"ms": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
             {"role": "user", "content": "c"}]}),
    ("string_methods", "{{ s.split('</think>')[-1].lstrip('\\n') }}|{{ s.startswith(('x', '<th')) }}"
                       "|{{ '  a b  '.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b c'.split(None, 1) }}"
                       "|{{ 'xxhixx'.strip('x') }}", {"s": "<think>r</think>\n\nanswer"}),
    ("slices", "{{ xs[::-1] }}{{ xs[1:] }}{{ xs[:-1] }}{{ xs[::2] }}{{ 'hello'[1:-1] }}{{ xs[5:] }}"
               "{{ xs[-10:2] }}{{ xs[3:0:-1] }}", {"xs": [0, 1, 2, 3, 4]}),
    ("numbers", "{{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 0.1 + 0.2 }} {{ 1e-5 }}"
                " {{ 1e16 }} {{ 123456789.0 * 10 }} {{ 1/3 }} {{ 2.5|round }} {{ 3.5|round }} {{ -0.0 }}", {}),
    ("comparisons", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' != 'b' }}"
                    " {{ [1, 2] < [1, 3] }} {{ 'b' in 'abc' }} {{ 'z' not in ['a'] }} {{ none is none }}", {}),
    ("and_or_values", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }}| {{ none or [] }} {{ not 0 }}", {}),
    ("tests", "{{ x is defined }} {{ y is undefined }} {{ x is string }} {{ 3 is odd }} {{ 4 is divisibleby 2 }}"
              " {{ x is sameas 'v' }} {{ false is false }} {{ 0 is false }} {{ d is mapping }} {{ 3 is number }}",
     {"x": "v", "d": {}}),
    ("filters_misc", "{{ ' Ab '|trim|lower }} {{ 'ab'|upper }} {{ 'hello world'|title }} {{ 'hELLo'|capitalize }}"
                     " {{ [3, 1, 2]|sort|join('-') }} {{ ['b', 'A', 'c']|sort|join }} {{ [1, 2, 2, 1]|unique|list }}"
                     " {{ 'x'|default('y') }} {{ ''|default('y', true) }} {{ 'a\\nb'|indent(2, true) }}"
                     " {{ [1, 2, 3]|sum }} {{ [4, 9]|max }} {{ '3.5'|float * 2 }} {{ '12'|int + 1 }}"
                     " {{ 'a<b'|e }} {{ -3|abs }} {{ 'abc'|reverse }} {{ 'one two  three'|wordcount }}", {}),
    ("dict_literal_and_get", "{% set d = {'a': 1, 'b': {'c': 2}} %}{{ d.b.c }}{{ d['a'] }}{{ d.get('z', 9) }}"
                             "{{ d.get('a') }}{{ d|length }}{{ d.keys()|list }}{{ d.values()|list }}", {}),
    ("whitespace_indented_template",
     "{%- for m in ms %}\n    {%- if m == 'a' %}\n        {{- 'A' }}\n    {%- else %}\n        {{ m }}\n"
     "    {%- endif %}\n{%- endfor %}\n", {"ms": ["a", "b"]}),
    ("precedence", "{{ 2 * 3 ~ 4 }}|{{ -2 ** 2 }}|{{ not 1 == 2 }}|{{ 1 if 0 else 2 + 3 }}|{{ 'x' ~ [1, 2]|length }}"
                   "|{{ 2 ** 3 ** 2 }}|{{ 10 - 2 - 3 }}|{{ 2 + 3 * 4 }}|{{ (2 + 3) * 4 }}|{{ 7 // 2 * 2 }}"
                   "|{{ 1 < 2 == 2 }}|{{ 'a' ~ 'b' if false else 'c' ~ 'd' }}|{{ false and true or 'x' }}"
                   "|{{ 'x' + 'y' ~ 1 }}", {}),
    ("precedence_concat_binds_tighter_than_plus", "{{ [1] + [2] ~ 'z' }}", {}),
    ("range_forms", "{{ range(3)|list }}{{ range(1, 7, 2)|list }}{{ range(5, 0, -2)|list }}", {}),
    ("none_printing", "{{ none }} {{ [none, true] }} {{ {'k': none} }} {{ 1.5 }} {{ 'q\\'s' }} {{ [\"q'\"] }}", {}),
    ("raise_exception_untaken", "{% if false %}{{ raise_exception('no') }}{% endif %}ok", {}),
    ("raise_exception_taken", "{{ raise_exception('Conversation roles must alternate') }}", {}),
    ("undefined_in_arithmetic", "{{ nope + 1 }}", {}),
    ("attribute_of_undefined", "{{ nope.attr }}", {}),
    ("type_error_concat", "{{ 'a' + 1 }}", {}),
    ("assign_on_non_namespace", "{% set d = {} %}{% set d.x = 1 %}", {}),
]


def snippets():
    env = environment()
    out = []
    for name, template, context in SNIPPETS:
        try:
            out.append({"name": name, "template": template, "context": context,
                        "out": env.from_string(template).render(**context)})
        except Exception as e:
            out.append({"name": name, "template": template, "context": context, "error": type(e).__name__})
    json.dump({"jinja2": jinja2.__version__, "snippets": out}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    {"templates": templates, "expressions": expressions, "snippets": snippets}[sys.argv[1]]()
