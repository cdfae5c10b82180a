package dev.descent.bench;

import dev.descent.internal.workload.Workloads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * SGEMM on a backend: square sizes and the MLP's products, named by {@link Shapes}.
 * GFLOP/s = ops/s x 2mnk.
 */
@State(Scope.Benchmark)
public class GemmBench extends WorkloadBench {
    @Param({"256", "512", "1024", "2048", "4096", "fwd-64x784x256", "dw-784x256x64", "dx-64x784x256"})
    public String shape;

    @Setup(Level.Trial)
    public void setup(BackendState b) {
        state = b;
        Shapes.Gemm g = Shapes.parse(shape);
        work = Workloads.gemm(b.be, g.m(), g.n(), g.k(), g.transA(), g.transB());
    }
}
