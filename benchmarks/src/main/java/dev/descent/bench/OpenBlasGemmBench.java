package dev.descent.bench;

import dev.ludovic.netlib.blas.BLAS;
import java.util.Random;
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

/**
 * The CPU peer: the same shapes through the system BLAS (OpenBLAS via netlib's JNI binding;
 * run.sh installs Debian's libopenblas0-pthread). BLAS is column-major, so a row-major
 * C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T, exactly as cuBLAS is called.
 * {@link #implementation} records which BLAS actually ran (a Java fallback is reported, not hidden).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class OpenBlasGemmBench {
    @Param({"256", "512", "1024", "2048", "4096", "fwd-64x784x256", "dw-784x256x64", "dx-64x784x256"})
    public String shape;

    private BLAS blas;
    private Shapes.Gemm g;
    private float[] a;
    private float[] b;
    private float[] c;

    public static String implementation() {
        return BLAS.getInstance().getClass().getSimpleName();
    }

    @Setup(Level.Trial)
    public void setup() {
        blas = BLAS.getInstance();
        g = Shapes.parse(shape);
        Random r = new Random(1);
        a = new float[g.m() * g.k()];
        b = new float[g.k() * g.n()];
        c = new float[g.m() * g.n()];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextFloat() - 0.5f;
        }
    }

    @Benchmark
    public float[] gemm() {
        blas.sgemm(g.transB() ? "T" : "N", g.transA() ? "T" : "N", g.n(), g.m(), g.k(), 1f, b,
                g.transB() ? g.k() : g.n(), a, g.transA() ? g.m() : g.k(), 0f, c, g.n());
        return c;
    }
}
