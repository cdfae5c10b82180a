package dev.descent.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Vector API update loops against the scalar ones, bit for bit, through the production path
 * ({@link CpuUpdates#step}): every rule and flag variant, two threads, a ragged length, weight
 * decay ending mid-vector, clipping on and off, steps 1, 2 and 10, and gradients that make some
 * elements non-finite (NaN, infinity, and a square that overflows), which both paths must hold back.
 * It waits for {@link VectorWarmup} to report each rule compiled, so it also checks that the
 * warm-up finishes.
 */
class VectorUpdatesTest {
    private static final int N = 40_013;          // two chunks of ~20k, a tail that is no whole vector
    private static final int DECAY_END = 30_011;  // weight decay stops inside a vector

    @Test
    void vectorLoopsMatchTheScalarLoopsBitForBit() throws InterruptedException {
        CpuUpdates.VectorLoops loops = CpuUpdates.chooseVector(true);
        assertNotNull(loops, "tests run with --add-modules jdk.incubator.vector (pom.xml)");
        List<OptimizerSpec> rules = List.of(new Sgd(0.01, 0.9, 0.1, false, 1e-2), new Adam(1e-3, 0.9, 0.999, 1e-8, 1e-2,
                        false, false), new Adagrad(0.01, 1e-3, 1e-2, 0.1, 1e-10),
                new RmsProp(0.01, 0.99, 1e-8, 1e-2, 0.5, true), new Adadelta(1.0, 0.9, 1e-6, 1e-2),
                new NAdam(2e-3, 0.9, 0.999, 1e-8, 1e-2, 4e-3), new RAdam(1e-3, 0.9, 0.999, 1e-8, 1e-2));
        int compared = 0, held = 0, retries = 0;
        try (Parallel par = new Parallel(2)) {
            for (OptimizerSpec rule : rules) {
                for (OptimizerSpec spec : variants(rule)) {
                    for (long t : new long[] {1, 2, 10}) {
                        for (float clip : new float[] {0f, 0.25f}) {
                            boolean[] h = null;
                            // The vector path must be in force for the whole step; a step during
                            // which it was seen slow (and handed over to the scalar loop) is retried.
                            for (int attempt = 0; h == null; attempt++) {
                                assertTrue(attempt < 5, "the vector loop kept falling back for " + spec);
                                awaitCompiled(spec, clip, loops);
                                long coolings = VectorWarmup.coolings();
                                h = compare(par, spec, t, clip, loops, 31 * compared + 7);
                                if (VectorWarmup.coolings() != coolings) {
                                    h = null;
                                    retries++;
                                }
                            }
                            held += h[0] ? 1 : 0;
                            compared++;
                        }
                    }
                }
            }
        }
        // Every case injects non-finite gradients, so every case must have held something back.
        assertEquals(compared, held);
        System.out.printf("VectorUpdatesTest: %d rule variants x steps x clipping compared bit for bit "
                + "(%d elements each, %d held back non-finite in every case; %d steps retried after a fall-back)%n",
                compared, N, held, retries);
    }

    /** Steps until the warm-up thread has compiled rule's vector loop (it starts on the first step). */
    private static void awaitCompiled(OptimizerSpec rule, float clip, CpuUpdates.VectorLoops loops)
            throws InterruptedException {
        long deadline = System.nanoTime() + 100_000_000_000L;
        State s = new State(rule, 1, 11);
        while (!VectorWarmup.ready(CpuUpdates.bind(rule, s.step(clip, loops, null)).index(), rule, clip, loops)) {
            assertTrue(System.nanoTime() < deadline, "the vector loop of " + rule + " was not compiled within 100 s");
            Thread.sleep(50);
        }
    }

    /** spec and the variants of its rule whose flags choose other branches of the vector loop. */
    private static List<OptimizerSpec> variants(OptimizerSpec spec) {
        if (spec instanceof Sgd o) {
            return List.of(o, new Sgd(o.lr(), 0, 0, false, o.weightDecay()), new Sgd(o.lr(), 0.9, 0, true, o.weightDecay()));
        }
        if (spec instanceof Adam o) {
            return List.of(o, new Adam(o.lr(), o.beta1(), o.beta2(), o.eps(), o.weightDecay(), true, false),
                    new Adam(o.lr(), o.beta1(), o.beta2(), o.eps(), o.weightDecay(), false, true),
                    new Adam(o.lr(), o.beta1(), o.beta2(), o.eps(), o.weightDecay(), true, true));
        }
        if (spec instanceof RmsProp o) {
            return List.of(o, new RmsProp(o.lr(), o.alpha(), o.eps(), o.weightDecay(), 0, false),
                    new RmsProp(o.lr(), o.alpha(), o.eps(), o.weightDecay(), 0, true),
                    new RmsProp(o.lr(), o.alpha(), o.eps(), o.weightDecay(), 0.9, false));
        }
        return List.of(spec);
    }

    /** One step of spec on two copies of the same random state, vector and scalar; returns {held}. */
    private static boolean[] compare(Parallel par, OptimizerSpec spec, long t, float clip, CpuUpdates.VectorLoops loops,
                                     long seed) {
        State vec = new State(spec, t, seed);
        State sca = new State(spec, t, seed);
        boolean hv = CpuUpdates.step(par, spec, vec.step(clip, loops, new FiniteCommit(2, 4)));
        boolean hs = CpuUpdates.step(par, spec, sca.step(clip, null, new FiniteCommit(2, 4)));
        String what = spec + " t=" + t + " clip=" + clip;
        assertEquals(hs, hv, "held flag, " + what);
        assertArrayEquals(sca.p, vec.p, "parameters, " + what);
        for (int k = 0; k < sca.s.length; k++) {
            assertArrayEquals(sca.s[k], vec.s[k], "state " + k + ", " + what);
        }
        int nan = State.BAD[0];
        assertEquals(sca.p0[nan], vec.p[nan], "element " + nan + " has a NaN gradient and keeps its parameter, " + what);
        return new boolean[] {hv};
    }

    /** Random parameters, gradients and (non-negative where the rule needs it) state for one step. */
    private static final class State {
        static final int[] BAD = {5, 20_000, 12_345, N - 1};
        final float[] p, p0, g;
        final float[][] s;
        final long t;

        State(OptimizerSpec spec, long t, long seed) {
            Random r = new Random(seed);
            this.t = t;
            p = new float[N];
            g = new float[N];
            s = new float[spec.stateCount()][N];
            for (int i = 0; i < N; i++) {
                p[i] = (float) r.nextGaussian();
                g[i] = (float) r.nextGaussian() * 0.1f;
                for (float[] a : s) {
                    a[i] = (float) Math.abs(r.nextGaussian()) * 0.01f; // second moments must not be negative
                }
            }
            g[BAD[0]] = Float.NaN;
            g[BAD[1]] = Float.POSITIVE_INFINITY;
            g[BAD[2]] = 3e30f; // finite, but its square overflows the second moment
            g[BAD[3]] = Float.NEGATIVE_INFINITY; // in the ragged tail, which the scalar loop finishes
            p0 = p.clone();
        }

        CpuUpdates.Step step(float clip, CpuUpdates.VectorLoops loops, FiniteCommit commit) {
            List<float[]> states = new ArrayList<>(List.of(s));
            return new CpuUpdates.Step(1e-3f, p, g, states.toArray(new float[0][]), N, DECAY_END, clip, 0.75f, t,
                    0.9, commit, loops);
        }
    }
}
