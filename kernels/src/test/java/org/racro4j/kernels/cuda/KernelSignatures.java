package org.racro4j.kernels.cuda;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameter lists of the {@code extern "C" __global__} kernels of the .cu sources, read from the text: lines
 * spliced and comments dropped as the preprocessor does, the instantiating macros ({@code DEFINE_SOFTMAX(bf16,
 * bf16_t)} and the like, nested ones too) expanded with their arguments, and each parameter's C type mapped to
 * how a launcher must pack it ({@link KernelArgs.Kind} and size). Only what the kernels' declarations use is
 * understood; anything else is an error, so a new kind of parameter cannot slip by unchecked.
 */
final class KernelSignatures {
    /** One parameter: its C declaration and how it must be packed. */
    record Param(String declaration, KernelArgs.Kind kind, int bytes) {}

    private static final Pattern DEFINE = Pattern.compile("(?m)^[ \\t]*#[ \\t]*define[ \\t]+(\\w+)\\(([^)]*)\\)(.*)$");
    private static final Pattern KERNEL = Pattern.compile(
            "extern\\s+\"C\"\\s+__global__\\s+void\\s+(?:__launch_bounds__\\s*\\([^()]*\\)\\s*)?(\\w+)\\s*\\(([^()]*)\\)");
    private static final Pattern SIZE_ASSERT = Pattern.compile("static_assert\\s*\\(\\s*sizeof\\s*\\(\\s*(\\w+)\\s*\\)\\s*==\\s*(\\d+)");
    private static final Set<String> QUALIFIERS = Set.of("const", "volatile", "__restrict__", "__grid_constant__", "unsigned", "signed");

    private KernelSignatures() {}

    /** Kernel name to its parameters, for one family's source. structBytes: the size of each struct passed by value. */
    static Map<String, List<Param>> parse(String source, Map<String, Integer> structBytes) {
        String text = expandMacros(withoutComments(spliced(source)));
        Map<String, List<Param>> kernels = new LinkedHashMap<>();
        Matcher m = KERNEL.matcher(text);
        while (m.find()) {
            List<Param> params = new ArrayList<>();
            String list = m.group(2).trim();
            if (!list.isEmpty() && !list.equals("void")) {
                for (String p : list.split(",")) params.add(param(m.group(1), p.trim(), structBytes));
            }
            if (kernels.put(m.group(1), params) != null) throw new IllegalStateException("kernel " + m.group(1) + " is declared twice");
        }
        return kernels;
    }

    /** The {@code static_assert(sizeof(X) == N, ...)} lines of a source: struct name to N. */
    static Map<String, Integer> assertedSizes(String source) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        Matcher m = SIZE_ASSERT.matcher(withoutComments(spliced(source)));
        while (m.find()) sizes.put(m.group(1), Integer.parseInt(m.group(2)));
        return sizes;
    }

    private static Param param(String kernel, String declaration, Map<String, Integer> structBytes) {
        if (declaration.contains("*")) return new Param(declaration, KernelArgs.Kind.PTR, 8);
        List<String> words = new ArrayList<>(List.of(declaration.split("\\s+")));
        if (words.size() < 2) throw new IllegalStateException(kernel + ": cannot read parameter '" + declaration + "'");
        boolean unsigned = words.contains("unsigned");
        words.remove(words.size() - 1);   // the parameter's name
        words.removeIf(QUALIFIERS::contains);
        String type = String.join(" ", words);
        switch (type) {
            case "int", "u32", "":   // "" is a bare unsigned / signed
                return new Param(declaration, KernelArgs.Kind.I32, 4);
            case "i64", "u64", "long long", "size_t":
                return new Param(declaration, KernelArgs.Kind.I64, 8);
            case "float":
                if (unsigned) break;
                return new Param(declaration, KernelArgs.Kind.F32, 4);
            default:
                Integer bytes = structBytes.get(type);
                if (bytes != null) return new Param(declaration, KernelArgs.Kind.STRUCT, bytes);
        }
        throw new IllegalStateException(kernel + ": parameter '" + declaration + "' has a type (" + type + ") this check does not know");
    }

    /** Joins lines ended by a backslash, as the preprocessor's line splicing does. */
    static String spliced(String source) {
        return source.replaceAll("\\\\\\r?\\n", " ");
    }

    /** Drops block and line comments (string literals in the sources hold no comment markers). */
    static String withoutComments(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", "");
    }

    /**
     * Replaces every use of a function-like macro that declares kernels (directly or through another such macro)
     * by its body, with the arguments put in for the parameters and the {@code ##} pastes joined.
     */
    static String expandMacros(String text) {
        Map<String, String[]> params = new LinkedHashMap<>();
        Map<String, String> bodies = new LinkedHashMap<>();
        Matcher d = DEFINE.matcher(text);
        while (d.find()) {
            params.put(d.group(1), d.group(2).isBlank() ? new String[0] : d.group(2).trim().split("\\s*,\\s*"));
            bodies.put(d.group(1), d.group(3));
        }
        Set<String> declaring = new LinkedHashSet<>();
        for (boolean grew = true; grew; ) {
            grew = false;
            for (Map.Entry<String, String> e : bodies.entrySet()) {
                if (declaring.contains(e.getKey())) continue;
                boolean declares = e.getValue().contains("__global__");
                for (String other : declaring) declares |= Pattern.compile("\\b" + other + "\\s*\\(").matcher(e.getValue()).find();
                if (declares) grew = declaring.add(e.getKey());
            }
        }
        String out = DEFINE.matcher(text).replaceAll("");
        if (declaring.isEmpty()) return out;
        Pattern use = Pattern.compile("\\b(" + String.join("|", declaring) + ")\\s*\\(([^()]*)\\)");
        for (int depth = 0; depth < 8; depth++) {
            Matcher m = use.matcher(out);
            StringBuilder sb = new StringBuilder();
            boolean any = false;
            while (m.find()) {
                any = true;
                m.appendReplacement(sb, Matcher.quoteReplacement(substitute(m.group(1), params.get(m.group(1)), bodies.get(m.group(1)),
                        m.group(2))));
            }
            m.appendTail(sb);
            out = sb.toString();
            if (!any) return out;
        }
        throw new IllegalStateException("kernel-declaring macros nest deeper than 8");
    }

    private static String substitute(String macro, String[] names, String body, String argList) {
        String[] args = argList.isBlank() ? new String[0] : argList.trim().split("\\s*,\\s*");
        if (args.length != names.length) {
            throw new IllegalStateException(macro + " takes " + names.length + " arguments, used with " + args.length + ": " + argList);
        }
        if (names.length == 0) return body + "\n";
        Map<String, String> value = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) value.put(names[i], args[i]);
        Matcher m = Pattern.compile("\\b(" + String.join("|", names) + ")\\b").matcher(body);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(value.get(m.group(1))));
        m.appendTail(sb);
        return sb.toString().replaceAll("\\s*##\\s*", "") + "\n";
    }
}
