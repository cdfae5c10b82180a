package dev.descent.cpu;

import dev.descent.optim.OptimizerSpec;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gets the update rules' Vector API loops compiled off the training thread. Until C2 compiles
 * it, Vector API code runs about ten thousand times slower than the scalar loop (the interpreter
 * and C1 make an object of every vector): on the training thread that was a second of near
 * standstill per rule. So the first step of a rule starts a daemon thread that runs the rule's
 * vector loop on private arrays, with the step's own settings (at step 1 and a later step, whose
 * branches differ), while the scalar loops do the work. Once the vector loop runs at compiled
 * speed it takes over; both give the same bits.
 *
 * <p>Only the settings in use are warmed: a loop compiled after seeing several variants of its
 * flags ran 3-4 times slower (C2 no longer drops the branches not taken), so the warm-up does
 * not pollute the profile with variants nobody asked for. A later variant may send the loop back
 * to the interpreter; {@link CpuUpdates} notices the slow pieces, hands the work to the scalar
 * loops and calls {@link #cooled}, and the next step warms it again.
 *
 * <p>What "compiled" must mean here took three tries to get right. The loop must be compiled on
 * its own, as the training thread calls it, not only inlined into this thread's code (hence one
 * call site with decoys, {@link #call}); a new call must find it compiled, not merely a long call
 * made fast by on-stack replacement (hence {@link #MIN_INVOCATIONS} and the short calls of
 * {@link #compiled}); and the profile C2 compiles from must be the training thread's, long calls
 * over whole arrays (compiled from a profile of short calls, Adam ran 4x slower).
 */
final class VectorWarmup {
    private VectorWarmup() {}

    /**
     * A rule's state. GAVE_UP (its warm-up ran out of time) keeps the scalar loops for good, as
     * WARMING does, but no thread is at work any more ({@link #running}).
     */
    private static final int COLD = 0, WARMING = 1, READY = 2, GAVE_UP = 3;
    private static final AtomicIntegerArray STATE = new AtomicIntegerArray(8);
    private static final AtomicLong COOLINGS = new AtomicLong();

    /**
     * Compiled, a vector loop takes about a nanosecond an element, from memory; before, several
     * microseconds. The bound sits far from both, so that a cache miss is never taken for the interpreter.
     */
    private static final long SLOW_NANOS_PER_ELEMENT = 200;
    /** Elements of the private arrays the warm-up thread updates. */
    private static final int N = 4096;
    /** The warm-up gives up (the scalar loops stay) after this long. */
    private static final long GIVE_UP_NANOS = 120_000_000_000L;

    /** Whether nanos for n elements is interpreted rather than compiled speed. */
    static boolean slow(long nanos, int n) {
        return nanos > n * SLOW_NANOS_PER_ELEMENT;
    }

    /** Whether rule's vector loop is compiled; if it is not and nobody is compiling it, starts the warm-up. */
    static boolean ready(int rule, OptimizerSpec spec, float clip, CpuUpdates.VectorLoops loops) {
        int s = STATE.get(rule);
        if (s == COLD && STATE.compareAndSet(rule, COLD, WARMING)) {
            Thread t = new Thread(() -> warm(rule, spec, clip, loops), "descent-vector-warmup-" + rule);
            t.setDaemon(true);
            t.start();
        }
        return s == READY;
    }

    /** Whether some rule's warm-up thread is still at work. */
    static boolean running() {
        for (int r = 0; r < STATE.length(); r++) {
            if (STATE.get(r) == WARMING) {
                return true;
            }
        }
        return false;
    }

    /** The rule's vector loop was seen running slowly: back to the scalar loops until it is warm again. */
    static void cooled(int rule) {
        COOLINGS.incrementAndGet();
        STATE.compareAndSet(rule, READY, COLD);
    }

    /** How many times a vector loop was seen slow and handed its work back to the scalar loops (tests read it). */
    static long coolings() {
        return COOLINGS.get();
    }

    /**
     * The one call site of the warm-up, which sees the rule's loop and two decoys: with three
     * receiver classes C2 does not inline the loop into this thread's compiled code. Inlined
     * here, the loop ran fast on this thread while the training thread, which calls the loop
     * itself, kept running its uncompiled form (a hundred times slower than the scalar loop).
     */
    private static boolean call(CpuUpdates.VectorLoop loop, CpuUpdates.Step st, int from, int to, float wd) {
        return loop.run(st, from, to, wd);
    }

    /**
     * Calls before the loop can be compiled on its own: C2 compiles a method standalone after
     * a few hundred calls (Tier4MinInvocationThreshold 600); until then a new call runs
     * C1's code, in which every vector is an object.
     */
    private static final int MIN_INVOCATIONS = 2000;

    /**
     * Whether a new call of the loop runs compiled code: a long call, and short calls (four
     * vectors each) timed together, both at compiled speed. Short calls cannot be flattered by
     * on-stack replacement, which makes a long call fast before the method is compiled.
     */
    private static boolean compiled(CpuUpdates.VectorLoop loop, CpuUpdates.Step st, int lanes) {
        long t0 = System.nanoTime();
        call(loop, st, 0, N, 0f);
        boolean longFast = !slow(System.nanoTime() - t0, N);
        int shortRun = 4 * lanes;
        long t1 = System.nanoTime();
        for (int c = 0; c < 16; c++) {
            call(loop, st, c * shortRun, (c + 1) * shortRun, 0f);
        }
        return longFast && !slow(System.nanoTime() - t1, 16 * shortRun);
    }

    private static final CpuUpdates.VectorLoop DECOY_A = (st, from, to, wd) -> from < to;
    private static final CpuUpdates.VectorLoop DECOY_B = (st, from, to, wd) -> wd != 0;

    private static void warm(int rule, OptimizerSpec spec, float clip, CpuUpdates.VectorLoops loops) {
        float[] p = new float[N], g = new float[N];
        float[][] s = new float[3][N];
        java.util.Random r = new java.util.Random(rule);
        for (int i = 0; i < N; i++) {
            p[i] = (float) r.nextGaussian();
            g[i] = (float) r.nextGaussian();
        }
        long start = System.nanoTime();
        int invocations = 0;
        while (true) {
            if (System.nanoTime() - start > GIVE_UP_NANOS) {
                STATE.set(rule, GAVE_UP); // the scalar loops keep the work
                return;
            }
            CpuUpdates.Step st = null;
            CpuUpdates.VectorLoop loop = null;
            for (long t : new long[] {1, 10}) { // SGD's first step and the later ones; RAdam rectifies from step 6
                st = new CpuUpdates.Step(1e-3f, p, g, s, N, N / 2, clip, 1f, t, 0.5, null, loops);
                loop = CpuUpdates.bind(spec, st).vector();
                call(DECOY_A, st, 0, N, 0f);
                call(DECOY_B, st, 0, N, 0f);
                for (int c = 0; c < 32; c++) {
                    call(loop, st, 0, N / 2, (float) spec.weightDecay());
                    call(loop, st, N / 2, N, 0f);
                    invocations += 2;
                }
            }
            for (float[] a : s) {
                java.util.Arrays.fill(a, 0f); // keep the state small and finite round after round
            }
            if (invocations >= MIN_INVOCATIONS && compiled(loop, st, loops.lanes())) {
                break;
            }
        }
        STATE.set(rule, READY);
    }
}
