package dev.descent.bench;

import dev.descent.workload.Workload;
import dev.descent.workload.Workloads;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** One training step (gather, forward, backward, guard, Adam) per op; samples/s = ops/s x batch. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TrainStepBench {
    @Param({"784-256-128-10", "784-4096-4096-10"})
    public String model;

    @Param({"1", "64", "1024"})
    public int batch;

    private Workload work;
    private BackendState state;

    @Setup(Level.Trial)
    public void setup(BackendState b) {
        state = b;
        int[] widths = Arrays.stream(model.split("-")).mapToInt(Integer::parseInt).toArray();
        work = Workloads.trainStep(b.be, widths, batch);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        work.close();
    }

    @Benchmark
    public void step() {
        work.run();
        state.be.synchronize();
    }
}
