package dev.descent.bench;

import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;
import dev.descent.internal.workload.Workloads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One fused optimizer update of 2^log2n parameters per op, plus the device copy of the same
 * size as the bandwidth yardstick ("copy" rule). Parameters/s = ops/s x 2^log2n; GB/s uses
 * {@link Workloads#bytesPerParameter} (Adam: 28 B) or 8 B per float for the copy.
 */
@State(Scope.Benchmark)
public class UpdateBench extends WorkloadBench {
    @Param({"copy", "sgd", "adam", "adamw", "amsgrad", "adagrad", "rmsprop", "adadelta", "nadam", "radam"})
    public String rule;

    @Param({"16", "20", "24"})
    public int log2n;

    static OptimizerSpec spec(String rule) {
        switch (rule) {
            case "sgd": return new Sgd(0.01, 0.9, 0, false, 0);
            case "adam": return Adam.adam(1e-3);
            case "adamw": return Adam.adamW(1e-3);
            case "amsgrad": return Adam.adam(1e-3).withAmsgrad(true);
            case "adagrad": return Adagrad.of(0.01);
            case "rmsprop": return RmsProp.of(0.01);
            case "adadelta": return Adadelta.of(1.0);
            case "nadam": return NAdam.of(2e-3);
            case "radam": return RAdam.of(1e-3);
            default: throw new IllegalArgumentException("unknown rule " + rule);
        }
    }

    /** Bytes per parameter of a rule (8 for the copy: one read, one write). */
    static int bytesPerParameter(String rule) {
        return rule.equals("copy") ? 8 : Workloads.bytesPerParameter(spec(rule));
    }

    @Setup(Level.Trial)
    public void setup(BackendState b) {
        state = b;
        int n = 1 << log2n;
        work = rule.equals("copy") ? Workloads.copy(b.be, n) : Workloads.update(b.be, spec(rule), n);
    }
}
