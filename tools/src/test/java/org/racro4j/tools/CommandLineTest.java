package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

class CommandLineTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Every command and subcommand answers --help with its usage and exit code 0. */
    @Test
    void everyCommandHasHelp() {
        List<List<String>> paths = new ArrayList<>();
        collect(Main.commandLine(), new ArrayList<>(), paths);
        assertTrue(paths.size() >= 3, "found commands: " + paths);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            Run r = run(args.toArray(new String[0]));
            assertEquals(0, r.exit(), "exit code of " + args);
            String name = path.isEmpty() ? "racro4j" : path.get(path.size() - 1);
            assertTrue(r.out().contains("Usage: ") && r.out().contains(name), "usage of " + args + ":\n" + r.out() + "\nerr: " + r.err());
        }
    }

    private static void collect(CommandLine cl, List<String> prefix, List<List<String>> out) {
        out.add(prefix);
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            List<String> p = new ArrayList<>(prefix);
            p.add(e.getKey());
            collect(e.getValue(), p, out);
        }
    }

    @Test
    void devicesListsCpuAndExplainsMissingCuda() {
        Run r = run("devices");
        assertEquals(0, r.exit());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("cpu") && l.contains("available")), r.out());
        // Either a CUDA backend reports its own state, or the line explains it is not installed; never silence.
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("cuda")), r.out());
    }

    @Test
    void unknownOptionIsAUsageErrorNotAStackTrace() {
        Run r = run("devices", "--no-such-option");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("Unknown option"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    }
}
