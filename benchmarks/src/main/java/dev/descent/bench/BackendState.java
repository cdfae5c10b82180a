package dev.descent.bench;

import dev.descent.Backend;
import dev.descent.Backends;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The backend a benchmark runs on. A backend that cannot open here (no GPU, no OpenCL) makes
 * the trial fail with its reason, which JMH reports, rather than silently measuring something
 * else; the run script only lists backends that `devices` shows as available.
 */
@State(Scope.Benchmark)
public class BackendState {
    @Param({"cpu"})
    public String backend;

    public Backend be;

    @Setup(Level.Trial)
    public void open(BenchmarkParams params) {
        be = Backends.open(backend);
    }

    @TearDown(Level.Trial)
    public void close() {
        be.close();
    }
}
