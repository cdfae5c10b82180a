package dev.descent.cpu;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.Buf;
import dev.descent.Control;
import dev.descent.Loss;
import dev.descent.StepGuard;
import dev.descent.internal.StepLogic;
import dev.descent.optim.OptimizerSpec;

/**
 * The CPU backend users run: float32 buffers on the Java heap, multithreaded, cache-blocked
 * GEMM, fused bias + activation, and one fused pass over the arena per optimizer step. Needs no
 * JVM flags and no native code.
 */
public final class CpuBackend extends dev.descent.BackendBase {
    static final class FloatBuf implements Buf {
        final float[] data;

        FloatBuf(int length) {
            data = new float[length];
        }

        @Override
        public int length() {
            return data.length;
        }
    }

    private final Parallel par;
    /** Scratch that lets the fused update commit only finite values (parameters + up to 3 states). */
    private final FiniteCommit commit;
    /** The Vector API update loops, or null (then the scalar loops run). */
    private final CpuUpdates.VectorLoops rules;
    private final GemmKernels.Gemm gemm;
    /** Scratch for the control block as doubles (StepLogic works in double). */
    private final double[] controlScratch = new double[Control.SIZE];

    /**
     * A backend with one thread per available processor.
     */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /**
     * A backend with {@code threads} worker threads.
     *
     * @param threads at least 1
     */
    public CpuBackend(int threads) {
        this(threads, true);
    }

    /**
     * A backend with {@code threads} worker threads and a choice of GEMM.
     *
     * @param threads at least 1
     * @param vector use the Vector API GEMM when the JVM has the module (tests also run the
     *               scalar kernel by passing false)
     */
    public CpuBackend(int threads, boolean vector) {
        super("cpu", true);
        this.par = new Parallel(threads);
        this.commit = new FiniteCommit(par.threads(), 4);
        this.gemm = GemmKernels.choose(vector);
        this.rules = CpuUpdates.chooseVector(vector);
    }

    private static float[] f(Buf buf) {
        return ((FloatBuf) buf).data;
    }

    @Override
    public String name() {
        return "cpu";
    }

    /**
     * Whether a warm-up thread is still compiling an update rule's Vector API loop (the first
     * step of each rule starts one; until it is done the rule runs its scalar loop, and the
     * warm-up takes a core). {@code descent bench} waits for it, to measure the steady state.
     *
     * @return whether any rule's warm-up thread is still at work
     */
    public static boolean vectorWarmupRunning() {
        return VectorWarmup.running();
    }

    /**
     * The JDK has the Vector API module, this JVM was started without it, and the scalar GEMM
     * was not asked for ({@code -Ddescent.cpu.vector=false}): adding the module would give the
     * faster GEMM. The CLI relaunches itself when this holds.
     *
     * @return whether {@code --add-modules jdk.incubator.vector} would speed this JVM up
     */
    public static boolean vectorApiAvailableButNotAdded() {
        return GemmKernels.vectorApiAvailableButNotAdded();
    }

    @Override
    public String describe() {
        return "Java float32, " + par.threads() + " threads, GEMM: " + gemm.name()
                + ", updates: " + (rules != null ? "Vector API" : "auto-vectorized")
                + " (" + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ")"
                + (vectorApiAvailableButNotAdded()
                        ? "; start the JVM with --add-modules jdk.incubator.vector for the 2-4x faster Vector API GEMM" : "");
    }

    @Override
    public Buf allocate(int length) {
        life.check();
        return new FloatBuf(length);
    }

    @Override
    public void free(Buf buf) {
        // heap memory: the garbage collector reclaims it
    }

    @Override
    public void upload(float[] src, int srcOffset, Buf dst, int dstOffset, int length) {
        life.check();
        System.arraycopy(src, srcOffset, f(dst), dstOffset, length);
    }

    @Override
    public void download(Buf src, int srcOffset, float[] dst, int dstOffset, int length) {
        life.check();
        System.arraycopy(f(src), srcOffset, dst, dstOffset, length);
    }

    @Override
    public void fill(Buf buf, int offset, int length, float value) {
        life.check();
        java.util.Arrays.fill(f(buf), offset, offset + length, value);
    }

    @Override
    public void copy(Buf src, int srcOffset, Buf dst, int dstOffset, int length) {
        life.check();
        float[] s = f(src), d = f(dst);
        // Parallel chunks: one thread cannot saturate memory bandwidth on most machines.
        par.forRange(length, 1 << 16, 16, (chunk, from, to) ->
                System.arraycopy(s, srcOffset + from, d, dstOffset + from, to - from));
    }

    @Override
    public void gatherRows(Buf src, int cols, Buf index, int indexOffset, int rows, Buf dst) {
        life.check();
        float[] s = f(src), idx = f(index), d = f(dst);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(s, (int) idx[indexOffset + r] * cols, d, r * cols, cols);
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Buf a, int aOffset, Buf b, int bOffset, float beta, Buf c, int cOffset) {
        life.check();
        gemm.gemm(par, transA, transB, m, n, k, alpha, f(a), aOffset, f(b), bOffset, beta, f(c), cOffset);
    }

    @Override
    public void biasActivation(Activation act, int rows, int cols, Buf z, int zOffset, Buf bias, int biasOffset,
                               Buf out, int outOffset) {
        CpuOps.biasActivation(par, act, rows, cols, f(z), zOffset, f(bias), biasOffset, f(out), outOffset);
    }

    @Override
    public void activationBackward(Activation act, int n, Buf z, int zOffset, Buf gradOut, int gradOutOffset,
                                   Buf gradZ, int gradZOffset) {
        CpuOps.activationBackward(par, act, n, f(z), zOffset, f(gradOut), gradOutOffset, f(gradZ), gradZOffset);
    }

    @Override
    public void biasGradient(int rows, int cols, Buf gradZ, int gradZOffset, Buf gradBias, int gradBiasOffset) {
        CpuOps.biasGradient(par, rows, cols, f(gradZ), gradZOffset, f(gradBias), gradBiasOffset);
    }

    @Override
    public void loss(Loss loss, int rows, int cols, Buf output, int outputOffset, Buf target, int targetOffset,
                     Buf grad, int gradOffset, Buf control, boolean evaluation) {
        CpuOps.loss(par, loss, rows, cols, f(output), outputOffset, f(target), targetOffset,
                grad == null ? null : f(grad), gradOffset, f(control), evaluation);
    }

    /** How many parallel loops have split their work across threads so far (tests assert the split happens). */
    long parallelSplits() {
        return par.splits();
    }

    @Override
    public void gradientNorm(Buf grads, int length, float clipValue, Buf control) {
        life.check();
        CpuOps.gradientNorm(par, f(grads), length, clipValue, f(control));
    }

    @Override
    public void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, Buf control) {
        life.check();
        float[] c = f(control);
        for (int i = 0; i < Control.SIZE; i++) {
            controlScratch[i] = c[i];
        }
        StepLogic.beginStep(spec, guard, batchIndex, rows, controlScratch);
        for (int i = 0; i < Control.SIZE; i++) {
            c[i] = (float) controlScratch[i];
        }
    }

    @Override
    public void step(OptimizerSpec spec, float lr, Buf params, Buf grads, Buf[] state, int length, int decayEnd,
                     float clipValue, Buf control) {
        life.check();
        float[] c = f(control);
        if (c[Control.SKIP] != 0) {
            return;
        }
        float[][] s = new float[state.length][];
        for (int i = 0; i < state.length; i++) {
            s[i] = f(state[i]);
        }
        boolean held = CpuUpdates.step(par, spec, new CpuUpdates.Step(lr, f(params), f(grads), s, length,
                decayEnd, clipValue, c[Control.CLIP_SCALE], (long) c[Control.STEP], c[Control.MU_PRODUCT], commit, rules));
        if (held) {
            c[Control.OUTPUT_BAD] = 1;
        }
    }

    @Override
    public void close() {
        if (life.close()) {
            par.close();
        }
    }
}
