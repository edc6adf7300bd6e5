package org.racro4j.tools;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;

@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Print the logits of the last position of a prompt given as token ids, one JSON line "
                + "{\"impl\":\"racro4j\",\"n_vocab\":V,\"logits\":[...]} (F32, one forward over the whole prompt). "
                + "Peer: bench/llamacpp/peer logits, for bench/llamacpp/check-logits.sh.")
final class BenchLogitsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face checkpoint directory.")
    Path model;

    @Option(names = "--ids", required = true, split = ",", paramLabel = "ID,ID,...", description = "The prompt's token ids.")
    List<Integer> ids;

    @Override
    public Integer call() throws Exception {
        try (CausalLM lm = CausalLM.load(model, DType.F32, Device.CPU);
             Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            int vocab = lm.config().vocabSize();
            long[] l = new long[ids.size()];
            for (int i = 0; i < l.length; i++) {
                int id = ids.get(i);
                if (id < 0 || id >= vocab) throw new IllegalArgumentException("--ids: " + id + " is not a token id of a vocabulary of " + vocab);
                l[i] = id;
            }
            if (l.length > lm.config().maxPositions()) {
                throw new IllegalArgumentException("--ids: " + l.length + " tokens exceed the model's context of " + lm.config().maxPositions());
            }
            Tensor logits = lm.forward(Tensor.ofLongs(l, 1, l.length), null, null).narrow(1, l.length - 1, 1);
            float[] v = logits.toFloatArray();
            StringBuilder out = new StringBuilder("{\"impl\":\"racro4j\",\"n_vocab\":").append(v.length).append(",\"logits\":[");
            for (int i = 0; i < v.length; i++) out.append(i == 0 ? "" : ",").append(v[i]);
            spec.commandLine().getOut().println(out.append("]}"));
        }
        return 0;
    }
}
