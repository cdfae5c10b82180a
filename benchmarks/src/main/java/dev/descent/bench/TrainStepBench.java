package dev.descent.bench;

import dev.descent.internal.workload.Workloads;
import java.util.Arrays;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** One training step (gather, forward, backward, guard, Adam) per op; samples/s = ops/s x batch. */
@State(Scope.Benchmark)
public class TrainStepBench extends WorkloadBench {
    @Param({"784-256-128-10", "784-4096-4096-10"})
    public String model;

    @Param({"1", "64", "1024"})
    public int batch;

    @Setup(Level.Trial)
    public void setup(BackendState b) {
        state = b;
        int[] widths = Arrays.stream(model.split("-")).mapToInt(Integer::parseInt).toArray();
        work = Workloads.trainStep(b.be, widths, batch);
    }
}
