package dev.descent.cpu;

import dev.descent.cpu.RuleCoefficients.AdadeltaK;
import dev.descent.cpu.RuleCoefficients.AdagradK;
import dev.descent.cpu.RuleCoefficients.AdamK;
import dev.descent.cpu.RuleCoefficients.NAdamK;
import dev.descent.cpu.RuleCoefficients.RAdamK;
import dev.descent.cpu.RuleCoefficients.RmsPropK;
import dev.descent.cpu.RuleCoefficients.SgdK;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The update rules on the Vector API (loaded by name only when the module is present, as
 * {@link VectorGemm} is), with the finite-only commit in registers: each vector's new parameter
 * and state values are computed, {@code x - x} (0 when finite, NaN otherwise) summed over them
 * marks the lanes to keep, and every stream is stored as a blend of new and old values. The
 * data stream through memory once, with no copy and no second look (see {@link FiniteCommit}
 * for what that costs the scalar loops).
 *
 * <p>No vector variable is ever null, not even on a path that does not use it: C2 cannot keep a
 * vector that merges with null in registers and boxes it on every iteration (Adam ran at 2e6
 * parameters/s that way, 700 times slower). For the same reason every helper a loop calls with
 * vectors stays under C2's always-inline size (35 bytes of bytecode), and the clipped, scaled
 * gradient is written out in each loop: as a 36-byte helper it was inlined only when C2 found
 * its call site hot, which depended on the run.
 *
 * <p>Each loop repeats {@link CpuUpdates}' scalar formula operation for operation, with
 * multiplies and adds kept separate as Java's scalar arithmetic keeps them, so the two forms
 * agree bit for bit.
 */
final class VectorUpdates implements CpuUpdates.VectorLoops {
    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final int L = S.length();

    @Override
    public int lanes() {
        return L;
    }

    /**
     * The classes the loops' helpers name in their signatures, resolved through this class's
     * loader when it initializes. C2 does not inline a call whose signature names a class the
     * caller's loader has not resolved yet ("unloaded signature classes" in -XX:+PrintInlining),
     * and a vector passed to a method that is not inlined becomes an object: in about one JVM
     * in six the first rule's loop was compiled that way and ran ten times slower for good.
     */
    static final Class<?>[] SIGNATURE_CLASSES = {FloatVector.class, VectorMask.class, VectorSpecies.class};

    /** 0 in the lanes where x is finite, NaN elsewhere: summed over every stream, it marks the lanes to keep. */
    private static FloatVector bad(FloatVector x) {
        return x.sub(x);
    }

    private static VectorMask<Float> ok(FloatVector bad) {
        return bad.compare(VectorOperators.EQ, 0f);
    }

    /** The new value where the lane is kept, the old one elsewhere, stored. */
    private static void store(FloatVector old, FloatVector fresh, VectorMask<Float> ok, float[] a, int i) {
        old.blend(fresh, ok).intoArray(a, i);
    }

    /** Whether any lane of the summed marks was NaN. */
    private static boolean held(FloatVector marks) {
        return marks.reduceLanes(VectorOperators.ADD) != 0f;
    }

    @Override
    public boolean sgd(SgdK k, CpuUpdates.Step st, int from, int to, float wd) {
        float lr = k.lr(), mom = k.mom(), damp = k.damp(), clip = st.clip(), scale = st.scale();
        boolean first = k.first(), nesterov = k.nesterov();
        float[] p = st.p(), g = st.g(), b = k.momentum() ? st.s()[0] : null;
        FloatVector marks = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector p0 = FloatVector.fromArray(S, p, i);
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            FloatVector gi = (clip > 0 ? g0.min(clip).max(-clip) : g0).mul(scale).add(p0.mul(wd));
            if (b == null) {
                FloatVector pn = p0.sub(gi.mul(lr));
                FloatVector bad = bad(pn);
                store(p0, pn, ok(bad), p, i);
                marks = marks.add(bad);
                continue;
            }
            FloatVector b0 = FloatVector.fromArray(S, b, i);
            FloatVector buf = first ? gi : b0.mul(mom).add(gi.mul(damp));
            FloatVector step = nesterov ? gi.add(buf.mul(mom)) : buf;
            FloatVector pn = p0.sub(step.mul(lr));
            FloatVector bad = bad(pn).add(bad(buf));
            VectorMask<Float> ok = ok(bad);
            store(p0, pn, ok, p, i);
            store(b0, buf, ok, b, i);
            marks = marks.add(bad);
        }
        return held(marks);
    }

    @Override
    public boolean adam(AdamK k, CpuUpdates.Step st, int from, int to, float wd) {
        // AMSGrad has a loop of its own: one loop with both forms ran AMSGrad 3x slower.
        return k.amsgrad() ? amsgrad(k, st, from, to, wd) : adamOnly(k, st, from, to, wd);
    }

    /** The parameter after decoupled weight decay (AdamW), or unchanged. */
    private static FloatVector decayed(FloatVector p0, boolean decoupled, float lrWd) {
        return decoupled ? p0.sub(p0.mul(lrWd)) : p0;
    }

    /** The gradient with L2 weight decay added (Adam), or unchanged (AdamW). */
    private static FloatVector decayGrad(FloatVector gi, FloatVector p0, boolean decoupled, float wd) {
        return decoupled ? gi : gi.add(p0.mul(wd));
    }

    private static boolean adamOnly(AdamK k, CpuUpdates.Step st, int from, int to, float wd) {
        float b1 = k.b1(), b2 = k.b2(), c1 = k.c1(), c2 = k.c2(), eps = k.eps();
        float stepSize = k.stepSize(), invSqrtBc2 = k.invSqrtBc2(), lrWd = k.lr() * wd;
        float clip = st.clip(), scale = st.scale();
        boolean decoupled = k.decoupled();
        float[] p = st.p(), g = st.g(), m = st.s()[0], v = st.s()[1];
        FloatVector marks = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector p0 = FloatVector.fromArray(S, p, i);
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            FloatVector gi = decayGrad((clip > 0 ? g0.min(clip).max(-clip) : g0).mul(scale), p0, decoupled, wd);
            FloatVector m0 = FloatVector.fromArray(S, m, i);
            FloatVector v0 = FloatVector.fromArray(S, v, i);
            FloatVector mi = m0.mul(b1).add(gi.mul(c1));
            FloatVector vi = v0.mul(b2).add(gi.mul(c2).mul(gi));
            FloatVector pn = decayed(p0, decoupled, lrWd)
                    .sub(mi.mul(stepSize).div(vi.sqrt().mul(invSqrtBc2).add(eps)));
            FloatVector bad = bad(mi).add(bad(vi)).add(bad(pn));
            VectorMask<Float> ok = ok(bad);
            store(p0, pn, ok, p, i);
            store(m0, mi, ok, m, i);
            store(v0, vi, ok, v, i);
            marks = marks.add(bad);
        }
        return held(marks);
    }

    /** Adam with AMSGrad: the denominator uses the running maximum of the second moment. */
    private static boolean amsgrad(AdamK k, CpuUpdates.Step st, int from, int to, float wd) {
        float b1 = k.b1(), b2 = k.b2(), c1 = k.c1(), c2 = k.c2(), eps = k.eps();
        float stepSize = k.stepSize(), invSqrtBc2 = k.invSqrtBc2(), lrWd = k.lr() * wd;
        float clip = st.clip(), scale = st.scale();
        boolean decoupled = k.decoupled();
        float[] p = st.p(), g = st.g(), m = st.s()[0], v = st.s()[1], vmax = st.s()[2];
        FloatVector marks = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector p0 = FloatVector.fromArray(S, p, i);
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            FloatVector gi = decayGrad((clip > 0 ? g0.min(clip).max(-clip) : g0).mul(scale), p0, decoupled, wd);
            FloatVector m0 = FloatVector.fromArray(S, m, i);
            FloatVector v0 = FloatVector.fromArray(S, v, i);
            FloatVector x0 = FloatVector.fromArray(S, vmax, i);
            FloatVector mi = m0.mul(b1).add(gi.mul(c1));
            FloatVector vi = v0.mul(b2).add(gi.mul(c2).mul(gi));
            FloatVector xi = x0.max(vi);
            FloatVector pn = decayed(p0, decoupled, lrWd)
                    .sub(mi.mul(stepSize).div(xi.sqrt().mul(invSqrtBc2).add(eps)));
            FloatVector bad = bad(mi).add(bad(vi)).add(bad(xi)).add(bad(pn));
            VectorMask<Float> ok = ok(bad);
            store(p0, pn, ok, p, i);
            store(m0, mi, ok, m, i);
            store(v0, vi, ok, v, i);
            store(x0, xi, ok, vmax, i);
            marks = marks.add(bad);
        }
        return held(marks);
    }

    @Override
    public boolean adagrad(AdagradK k, CpuUpdates.Step st, int from, int to, float wd) {
        float clr = k.clr(), eps = k.eps(), clip = st.clip(), scale = st.scale();
        float[] p = st.p(), g = st.g(), sum = st.s()[0];
        FloatVector marks = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector p0 = FloatVector.fromArray(S, p, i);
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            FloatVector gi = (clip > 0 ? g0.min(clip).max(-clip) : g0).mul(scale).add(p0.mul(wd));
            FloatVector s0 = FloatVector.fromArray(S, sum, i);
            FloatVector s = s0.add(gi.mul(gi));
            FloatVector pn = p0.sub(gi.mul(clr).div(s.sqrt().add(eps)));
            FloatVector bad = bad(pn).add(bad(s));
            VectorMask<Float> ok = ok(bad);
            store(p0, pn, ok, p, i);
            store(s0, s, ok, sum, i);
            marks = marks.add(bad);
        }
        return held(marks);
    }

    @Override
    public boolean rmsprop(RmsPropK k, CpuUpdates.Step st, int from, int to, float wd) {
        float lr = k.lr(), a = k.a(), ca = k.ca(), eps = k.eps(), mom = k.mom(), clip = st.clip(), scale = st.scale();
        float[] p = st.p(), g = st.g(), sq = st.s()[0];
        float[] ga = k.centered() ? st.s()[1] : null;
        float[] buf = k.momentum() ? st.s()[k.centered() ? 2 : 1] : null;
        FloatVector marks = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector p0 = FloatVector.fromArray(S, p, i);
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            FloatVector gi = (clip > 0 ? g0.min(clip).max(-clip) : g0).mul(scale).add(p0.mul(wd));
            FloatVector sq0 = FloatVector.fromArray(S, sq, i);
            FloatVector sqn = sq0.mul(a).add(gi.mul(ca).mul(gi));
            FloatVector bad = bad(sqn);
            FloatVector v = sqn;
            FloatVector ga0 = sqn, gan = sqn;
            if (ga != null) {
                ga0 = FloatVector.fromArray(S, ga, i);
                gan = ga0.mul(a).add(gi.mul(ca));
                v = v.sub(gan.mul(gan));
                bad = bad.add(bad(gan));
            }
            FloatVector d = v.sqrt().add(eps);
            FloatVector b0 = sqn, bn = sqn, pn;
            if (buf != null) {
                b0 = FloatVector.fromArray(S, buf, i);
                bn = b0.mul(mom).add(gi.div(d));
                pn = p0.sub(bn.mul(lr));
                bad = bad.add(bad(bn));
            } else {
                pn = p0.sub(gi.mul(lr).div(d));
            }
            bad = bad.add(bad(pn));
            VectorMask<Float> ok = ok(bad);
            store(p0, pn, ok, p, i);
            store(sq0, sqn, ok, sq, i);
            if (ga != null) {
                store(ga0, gan, ok, ga, i);
            }
            if (buf != null) {
                store(b0, bn, ok, buf, i);
            }
            marks = marks.add(bad);
        }
        return held(marks);
    }

    @Override
    public boolean adadelta(AdadeltaK k, CpuUpdates.Step st, int from, int to, float wd) {
        float lr = k.lr(), r = k.r(), cr = k.cr(), eps = k.eps(), clip = st.clip(), scale = st.scale();
        float[] p = st.p(), g = st.g(), sq = st.s()[0], acc = st.s()[1];
        FloatVector marks = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector p0 = FloatVector.fromArray(S, p, i);
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            FloatVector gi = (clip > 0 ? g0.min(clip).max(-clip) : g0).mul(scale).add(p0.mul(wd));
            FloatVector sq0 = FloatVector.fromArray(S, sq, i);
            FloatVector a0 = FloatVector.fromArray(S, acc, i);
            FloatVector v = sq0.mul(r).add(gi.mul(cr).mul(gi));
            FloatVector dx = a0.add(eps).sqrt().div(v.add(eps).sqrt()).mul(gi);
            FloatVector an = a0.mul(r).add(dx.mul(cr).mul(dx));
            FloatVector pn = p0.sub(dx.mul(lr));
            FloatVector bad = bad(pn).add(bad(v)).add(bad(an));
            VectorMask<Float> ok = ok(bad);
            store(p0, pn, ok, p, i);
            store(sq0, v, ok, sq, i);
            store(a0, an, ok, acc, i);
            marks = marks.add(bad);
        }
        return held(marks);
    }

    @Override
    public boolean nadam(NAdamK k, CpuUpdates.Step st, int from, int to, float wd) {
        float b1 = k.b1(), b2 = k.b2(), c1 = k.c1(), c2 = k.c2(), eps = k.eps();
        float invBc2 = k.invBc2(), gradCoef = k.gradCoef(), momCoef = k.momCoef(), clip = st.clip(), scale = st.scale();
        float[] p = st.p(), g = st.g(), m = st.s()[0], v = st.s()[1];
        FloatVector marks = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector p0 = FloatVector.fromArray(S, p, i);
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            FloatVector gi = (clip > 0 ? g0.min(clip).max(-clip) : g0).mul(scale).add(p0.mul(wd));
            FloatVector m0 = FloatVector.fromArray(S, m, i);
            FloatVector v0 = FloatVector.fromArray(S, v, i);
            FloatVector mi = m0.mul(b1).add(gi.mul(c1));
            FloatVector vi = v0.mul(b2).add(gi.mul(c2).mul(gi));
            FloatVector denom = vi.mul(invBc2).sqrt().add(eps);
            FloatVector pn = p0.sub(gi.mul(gradCoef).add(mi.mul(momCoef)).div(denom));
            FloatVector bad = bad(pn).add(bad(mi)).add(bad(vi));
            VectorMask<Float> ok = ok(bad);
            store(p0, pn, ok, p, i);
            store(m0, mi, ok, m, i);
            store(v0, vi, ok, v, i);
            marks = marks.add(bad);
        }
        return held(marks);
    }

    @Override
    public boolean radam(RAdamK k, CpuUpdates.Step st, int from, int to, float wd) {
        float b1 = k.b1(), b2 = k.b2(), c1 = k.c1(), c2 = k.c2(), eps = k.eps(), coef = k.coef();
        float clip = st.clip(), scale = st.scale();
        boolean rectify = k.rectify();
        float[] p = st.p(), g = st.g(), m = st.s()[0], v = st.s()[1];
        FloatVector marks = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector p0 = FloatVector.fromArray(S, p, i);
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            FloatVector gi = (clip > 0 ? g0.min(clip).max(-clip) : g0).mul(scale).add(p0.mul(wd));
            FloatVector m0 = FloatVector.fromArray(S, m, i);
            FloatVector v0 = FloatVector.fromArray(S, v, i);
            FloatVector mi = m0.mul(b1).add(gi.mul(c1));
            FloatVector vi = v0.mul(b2).add(gi.mul(c2).mul(gi));
            FloatVector pn = p0.sub(rectify ? mi.mul(coef).div(vi.sqrt().add(eps)) : mi.mul(coef));
            FloatVector bad = bad(pn).add(bad(mi)).add(bad(vi));
            VectorMask<Float> ok = ok(bad);
            store(p0, pn, ok, p, i);
            store(m0, mi, ok, m, i);
            store(v0, vi, ok, v, i);
            marks = marks.add(bad);
        }
        return held(marks);
    }
}
