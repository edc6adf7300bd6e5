package org.racro4j.tools;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import org.racro4j.core.BackendProvider;
import org.racro4j.core.Backends;

/** Lists the device kinds racro4j knows and whether each can be used here, with the reason when not. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the devices racro4j can use on this machine, and why others are unavailable.")
final class DevicesCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Override
    public Integer call() {
        boolean sawCuda = false;
        for (BackendProvider p : Backends.providers()) {
            BackendProvider.Availability a = p.availability();
            sawCuda |= p.kind().equals("cuda");
            if (a.available()) {
                for (int i = 0; i < a.deviceCount(); i++) {
                    String name = p.kind().equals("cpu") ? "cpu" : p.kind() + ":" + i;
                    out().printf("%-8s available   %s%n", name, a.description());
                }
            } else {
                out().printf("%-8s unavailable %s%n", p.kind(), a.description());
            }
        }
        if (!sawCuda) {
            out().printf("%-8s unavailable the CUDA backend (module racro4j-kernels) is not on the class path%n", "cuda");
        }
        return 0;
    }
}
