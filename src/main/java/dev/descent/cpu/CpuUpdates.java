package dev.descent.cpu;

import dev.descent.cpu.RuleCoefficients.AdadeltaK;
import dev.descent.cpu.RuleCoefficients.AdagradK;
import dev.descent.cpu.RuleCoefficients.AdamK;
import dev.descent.cpu.RuleCoefficients.NAdamK;
import dev.descent.cpu.RuleCoefficients.RAdamK;
import dev.descent.cpu.RuleCoefficients.RmsPropK;
import dev.descent.cpu.RuleCoefficients.SgdK;
import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;

/**
 * The update rules as fused float32 passes: every rule reads each parameter, gradient and state
 * element once and writes it once, in parallel chunks. Per-step scalars come from
 * {@link RuleCoefficients}; the formulas are {@link dev.descent.internal.ReferenceRules}'s and the
 * parity tests hold them together. Only finite values are committed.
 *
 * <p>Two forms of each loop: the scalar loops below, which HotSpot auto-vectorizes and
 * {@link FiniteCommit} guards block by block; and, when the JVM has the Vector API module,
 * {@link VectorUpdates}, which decides per vector in registers whether to store the new values
 * or keep the old ones, so the data stream through once. Both run the same float operations in
 * the same order (no fused multiply-adds), so they agree bit for bit and a chunk's ragged tail can
 * be finished by the scalar loop (VectorUpdatesTest checks both).
 */
final class CpuUpdates {
    private CpuUpdates() {}

    /** Elements per chunk at least: below this, handing a chunk to a worker costs more than it saves. */
    private static final int GRAIN = 1 << 14;

    /** The per-element inputs of one step; {@code vector} is null without the Vector API. */
    record Step(float lr, float[] p, float[] g, float[][] s, int length, int decayEnd, float clip, float scale,
                long t, double muProduct, FiniteCommit commit, VectorLoops vector) {
        /** The arrays the update writes: the parameters and every state buffer. */
        float[][] written() {
            float[][] w = new float[s.length + 1][];
            w[0] = p;
            System.arraycopy(s, 0, w, 1, s.length);
            return w;
        }

        float grad(int i) {
            float v = g[i];
            if (clip > 0) {
                v = Math.max(-clip, Math.min(clip, v));
            }
            return v * scale;
        }
    }

    /** One rule over [from, to), where every element takes weight decay {@code wd}. */
    interface Loop {
        void run(int from, int to, float wd);
    }

    /**
     * The rules over whole vectors ([from, to) is a multiple of {@link #lanes()} long), each
     * keeping an element's previous values when any of its new ones is not finite; true when one was kept.
     */
    interface VectorLoops {
        int lanes();

        boolean sgd(SgdK k, Step st, int from, int to, float wd);

        boolean adam(AdamK k, Step st, int from, int to, float wd);

        boolean adagrad(AdagradK k, Step st, int from, int to, float wd);

        boolean rmsprop(RmsPropK k, Step st, int from, int to, float wd);

        boolean adadelta(AdadeltaK k, Step st, int from, int to, float wd);

        boolean nadam(NAdamK k, Step st, int from, int to, float wd);

        boolean radam(RAdamK k, Step st, int from, int to, float wd);
    }

    /** {@link VectorUpdates} when {@code wantVector} and the module is present (as for the GEMM), else null. */
    static VectorLoops chooseVector(boolean wantVector) {
        return GemmKernels.loadVector(wantVector, "dev.descent.cpu.VectorUpdates", VectorLoops.class);
    }

    /** A rule bound to one step's coefficients: its index (0-7, one per vector loop), scalar loop and vector loop (null without the Vector API). */
    record Bound(int index, Loop scalar, VectorLoop vector) {}

    /** One rule's vector form over whole vectors of {@code st}'s arrays. */
    interface VectorLoop {
        boolean run(Step st, int from, int to, float wd);
    }

    /** Runs one update; true when some element's new values were non-finite and were not committed. */
    static boolean step(Parallel par, OptimizerSpec spec, Step st) {
        return run(par, st, (float) spec.weightDecay(), spec, bind(spec, st));
    }

    /** The rule of {@code spec} with the coefficients of {@code st}'s step. */
    static Bound bind(OptimizerSpec spec, Step st) {
        VectorLoops v = st.vector();
        return spec.match(new OptimizerSpec.Cases<Bound>() {
            @Override
            public Bound sgd(Sgd o) {
                SgdK k = SgdK.of(o, st);
                return new Bound(0, (f, t, w) -> CpuUpdates.sgd(k, st, f, t, w),
                        v == null ? null : (s, f, t, w) -> v.sgd(k, s, f, t, w));
            }

            @Override
            public Bound adam(Adam o) {
                AdamK k = AdamK.of(o, st);
                // AMSGrad runs a vector loop of its own (VectorUpdates), so it warms up on its own.
                return new Bound(k.amsgrad() ? 7 : 1, (f, t, w) -> CpuUpdates.adam(k, st, f, t, w),
                        v == null ? null : (s, f, t, w) -> v.adam(k, s, f, t, w));
            }

            @Override
            public Bound adagrad(Adagrad o) {
                AdagradK k = AdagradK.of(o, st);
                return new Bound(2, (f, t, w) -> CpuUpdates.adagrad(k, st, f, t, w),
                        v == null ? null : (s, f, t, w) -> v.adagrad(k, s, f, t, w));
            }

            @Override
            public Bound rmsprop(RmsProp o) {
                RmsPropK k = RmsPropK.of(o, st);
                return new Bound(3, (f, t, w) -> CpuUpdates.rmsprop(k, st, f, t, w),
                        v == null ? null : (s, f, t, w) -> v.rmsprop(k, s, f, t, w));
            }

            @Override
            public Bound adadelta(Adadelta o) {
                AdadeltaK k = AdadeltaK.of(o, st);
                return new Bound(4, (f, t, w) -> CpuUpdates.adadelta(k, st, f, t, w),
                        v == null ? null : (s, f, t, w) -> v.adadelta(k, s, f, t, w));
            }

            @Override
            public Bound nadam(NAdam o) {
                NAdamK k = NAdamK.of(o, st);
                return new Bound(5, (f, t, w) -> CpuUpdates.nadam(k, st, f, t, w),
                        v == null ? null : (s, f, t, w) -> v.nadam(k, s, f, t, w));
            }

            @Override
            public Bound radam(RAdam o) {
                RAdamK k = RAdamK.of(o, st);
                return new Bound(6, (f, t, w) -> CpuUpdates.radam(k, st, f, t, w),
                        v == null ? null : (s, f, t, w) -> v.radam(k, s, f, t, w));
            }
        });
    }

    /**
     * Elements the vector loop runs between two looks at the clock (see {@link VectorWarmup}):
     * at 2048, the two clock reads of each piece cost SGD over 2^20 parameters 5-10%.
     */
    private static final int PIECE = 16384;
    /** Pieces in a row seen slow before the vector loop hands over: an interpreted loop is slow on every one. */
    private static final int SLOW_PIECES = 4;

    /**
     * Splits each chunk at decayEnd (weight decay below it, none above) and runs the vector loop,
     * once {@link VectorWarmup} has it compiled, over the whole vectors, and the scalar loop under
     * {@link FiniteCommit} over the rest. The vector loop is timed piece by piece: should it ever
     * run at interpreted speed again (C2 dropped it), the scalar loop takes over at once.
     */
    private static boolean run(Parallel par, Step st, float wd, OptimizerSpec spec, Bound rule) {
        int end = st.decayEnd();
        FiniteCommit commit = st.commit();
        float[][] written = st.written();
        VectorLoop vector = rule.vector();
        if (vector == null || !VectorWarmup.ready(rule.index(), spec, st.clip(), st.vector())) {
            return commit.run(par, st.length(), GRAIN, written, (from, to) -> {
                rule.scalar().run(from, Math.min(to, end), wd);
                rule.scalar().run(Math.max(from, end), to, 0f);
            });
        }
        int lanes = st.vector().lanes();
        return commit.runChunks(par, st.length(), GRAIN, (chunk, from, to) -> {
            boolean held = false;
            for (int part = 0; part < 2; part++) {
                int lo = part == 0 ? from : Math.max(from, end);
                int hi = part == 0 ? Math.min(to, end) : to;
                float w = part == 0 ? wd : 0f;
                int mid = lo + Math.max(0, hi - lo) / lanes * lanes;
                int b = lo;
                int slowPieces = 0; // in a row: a few alone are more likely a preempted thread than a deoptimized loop
                while (b < mid) {
                    int e = Math.min(mid, b + PIECE);
                    long t0 = System.nanoTime();
                    held |= vector.run(st, b, e, w);
                    slowPieces = VectorWarmup.slow(System.nanoTime() - t0, e - b) ? slowPieces + 1 : 0;
                    b = e;
                    if (slowPieces == SLOW_PIECES) {
                        VectorWarmup.cooled(rule.index());
                        break;
                    }
                }
                for (; b < hi; b += FiniteCommit.BLOCK) {
                    int bEnd = Math.min(hi, b + FiniteCommit.BLOCK);
                    held |= commit.block(chunk, written, b, bEnd, (f, t) -> rule.scalar().run(f, t, w));
                }
            }
            return held;
        });
    }

    static void sgd(SgdK k, Step st, int from, int to, float wd) {
        float lr = k.lr(), mom = k.mom(), damp = k.damp();
        boolean first = k.first(), nesterov = k.nesterov();
        float[] p = st.p(), b = k.momentum() ? st.s()[0] : null;
        for (int i = from; i < to; i++) {
            float g = st.grad(i) + wd * p[i];
            if (b != null) {
                float buf = first ? g : mom * b[i] + damp * g;
                b[i] = buf;
                g = nesterov ? g + mom * buf : buf;
            }
            p[i] -= lr * g;
        }
    }

    static void adam(AdamK k, Step st, int from, int to, float wd) {
        float b1 = k.b1(), b2 = k.b2(), c1 = k.c1(), c2 = k.c2(), eps = k.eps();
        float stepSize = k.stepSize(), invSqrtBc2 = k.invSqrtBc2(), lrWd = k.lr() * wd;
        boolean decoupled = k.decoupled();
        float[] p = st.p(), m = st.s()[0], v = st.s()[1], vmax = k.amsgrad() ? st.s()[2] : null;
        for (int i = from; i < to; i++) {
            float g = st.grad(i);
            if (decoupled) {
                p[i] -= lrWd * p[i];
            } else {
                g += wd * p[i];
            }
            float mi = b1 * m[i] + c1 * g;
            float vi = b2 * v[i] + c2 * g * g;
            m[i] = mi;
            v[i] = vi;
            if (vmax != null) {
                vi = Math.max(vmax[i], vi);
                vmax[i] = vi;
            }
            p[i] -= stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
        }
    }

    static void adagrad(AdagradK k, Step st, int from, int to, float wd) {
        float clr = k.clr(), eps = k.eps();
        float[] p = st.p(), sum = st.s()[0];
        for (int i = from; i < to; i++) {
            float g = st.grad(i) + wd * p[i];
            float s = sum[i] + g * g;
            sum[i] = s;
            p[i] -= clr * g / ((float) Math.sqrt(s) + eps);
        }
    }

    static void rmsprop(RmsPropK k, Step st, int from, int to, float wd) {
        float lr = k.lr(), a = k.a(), ca = k.ca(), eps = k.eps(), mom = k.mom();
        float[] p = st.p(), sq = st.s()[0];
        float[] ga = k.centered() ? st.s()[1] : null;
        float[] buf = k.momentum() ? st.s()[k.centered() ? 2 : 1] : null;
        for (int i = from; i < to; i++) {
            float g = st.grad(i) + wd * p[i];
            float v = a * sq[i] + ca * g * g;
            sq[i] = v;
            if (ga != null) {
                float mean = a * ga[i] + ca * g;
                ga[i] = mean;
                v -= mean * mean;
            }
            float d = (float) Math.sqrt(v) + eps;
            if (buf != null) {
                float b = mom * buf[i] + g / d;
                buf[i] = b;
                p[i] -= lr * b;
            } else {
                p[i] -= lr * g / d;
            }
        }
    }

    static void adadelta(AdadeltaK k, Step st, int from, int to, float wd) {
        float lr = k.lr(), r = k.r(), cr = k.cr(), eps = k.eps();
        float[] p = st.p(), sq = st.s()[0], acc = st.s()[1];
        for (int i = from; i < to; i++) {
            float g = st.grad(i) + wd * p[i];
            float v = r * sq[i] + cr * g * g;
            sq[i] = v;
            float dx = (float) Math.sqrt(acc[i] + eps) / (float) Math.sqrt(v + eps) * g;
            acc[i] = r * acc[i] + cr * dx * dx;
            p[i] -= lr * dx;
        }
    }

    static void nadam(NAdamK k, Step st, int from, int to, float wd) {
        float b1 = k.b1(), b2 = k.b2(), c1 = k.c1(), c2 = k.c2(), eps = k.eps();
        float invBc2 = k.invBc2(), gradCoef = k.gradCoef(), momCoef = k.momCoef();
        float[] p = st.p(), m = st.s()[0], v = st.s()[1];
        for (int i = from; i < to; i++) {
            float g = st.grad(i) + wd * p[i];
            float mi = b1 * m[i] + c1 * g;
            float vi = b2 * v[i] + c2 * g * g;
            m[i] = mi;
            v[i] = vi;
            float denom = (float) Math.sqrt(vi * invBc2) + eps;
            p[i] -= (gradCoef * g + momCoef * mi) / denom;
        }
    }

    static void radam(RAdamK k, Step st, int from, int to, float wd) {
        float b1 = k.b1(), b2 = k.b2(), c1 = k.c1(), c2 = k.c2(), eps = k.eps(), coef = k.coef();
        boolean rectify = k.rectify();
        float[] p = st.p(), m = st.s()[0], v = st.s()[1];
        for (int i = from; i < to; i++) {
            float g = st.grad(i) + wd * p[i];
            float mi = b1 * m[i] + c1 * g;
            float vi = b2 * v[i] + c2 * g * g;
            m[i] = mi;
            v[i] = vi;
            p[i] -= rectify ? coef * mi / ((float) Math.sqrt(vi) + eps) : coef * mi;
        }
    }
}
