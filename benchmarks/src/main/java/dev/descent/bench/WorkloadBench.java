package dev.descent.bench;

import dev.descent.internal.workload.Workload;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A benchmark that times one {@link Workload} run per op on the backend of {@link BackendState}.
 * Subclasses declare the parameters and build {@link #work} in their {@code @Setup}; JMH
 * generates a benchmark per subclass, named after it (which {@link Report} reads).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public abstract class WorkloadBench {
    protected Workload work;
    protected BackendState state;

    @TearDown(Level.Trial)
    public void tearDown() {
        work.close();
    }

    @Benchmark
    public void run() {
        work.run();
        state.be.synchronize();  // GPU work must finish before JMH reads its clock
    }
}
