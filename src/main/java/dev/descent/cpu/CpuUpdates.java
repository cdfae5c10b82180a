package dev.descent.cpu;

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
 * element once and writes it once, in parallel chunks. Per-step scalars (bias corrections,
 * NAdam's coefficients, RAdam's rectification) are computed once per call in double. The
 * formulas are {@link dev.descent.internal.ReferenceRules}'s; the parity tests hold them together.
 * Only finite values are committed ({@link FiniteCommit}).
 * Complements such as 1 - beta2 are formed in double and then rounded, as PyTorch does: in
 * float, 1 - 0.999f is off by 1.3e-5 relative because 0.999 has no exact float form.
 */
final class CpuUpdates {
    private CpuUpdates() {}

    private static final int GRAIN = 1 << 16;

    /** The per-element inputs of one step. */
    record Step(float lr, float[] p, float[] g, float[][] s, int length, int decayEnd, float clip, float scale,
                long t, double muProduct, FiniteCommit commit) {
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

    /** Runs one update; true when some element's new values were non-finite and were not committed. */
    static boolean step(Parallel par, OptimizerSpec spec, Step st) {
        return spec.match(new OptimizerSpec.Cases<Boolean>() {
            @Override
            public Boolean sgd(Sgd o) {
                return CpuUpdates.sgd(par, o, st);
            }

            @Override
            public Boolean adam(Adam o) {
                return CpuUpdates.adam(par, o, st);
            }

            @Override
            public Boolean adagrad(Adagrad o) {
                return CpuUpdates.adagrad(par, o, st);
            }

            @Override
            public Boolean rmsprop(RmsProp o) {
                return CpuUpdates.rmsprop(par, o, st);
            }

            @Override
            public Boolean adadelta(Adadelta o) {
                return CpuUpdates.adadelta(par, o, st);
            }

            @Override
            public Boolean nadam(NAdam o) {
                return CpuUpdates.nadam(par, o, st);
            }

            @Override
            public Boolean radam(RAdam o) {
                return CpuUpdates.radam(par, o, st);
            }
        });
    }

    private static float wd(OptimizerSpec spec, int i, int decayEnd) {
        return i < decayEnd ? (float) spec.weightDecay() : 0f;
    }

    private static boolean sgd(Parallel par, Sgd o, Step st) {
        float mom = (float) o.momentum(), damp = (float) (1 - o.dampening());
        boolean first = st.t() == 1, nesterov = o.nesterov();
        float[] p = st.p(), b = mom > 0 ? st.s()[0] : null;
        return st.commit().run(par, st.length(), GRAIN, st.written(), (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = st.grad(i) + wd(o, i, st.decayEnd()) * p[i];
                if (b != null) {
                    float buf = first ? g : mom * b[i] + damp * g;
                    b[i] = buf;
                    g = nesterov ? g + mom * buf : buf;
                }
                p[i] -= st.lr() * g;
            }
        });
    }

    private static boolean adam(Parallel par, Adam o, Step st) {
        float b1 = (float) o.beta1(), b2 = (float) o.beta2(), eps = (float) o.eps();
        float c1 = (float) (1 - o.beta1()), c2 = (float) (1 - o.beta2());
        float stepSize = (float) (st.lr() / (1 - Math.pow(o.beta1(), st.t())));
        float invSqrtBc2 = (float) (1 / Math.sqrt(1 - Math.pow(o.beta2(), st.t())));
        boolean decoupled = o.decoupled(), ams = o.amsgrad();
        float[] p = st.p(), m = st.s()[0], v = st.s()[1], vmax = ams ? st.s()[2] : null;
        return st.commit().run(par, st.length(), GRAIN, st.written(), (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = st.grad(i);
                float wd = wd(o, i, st.decayEnd());
                if (decoupled) {
                    p[i] -= st.lr() * wd * p[i];
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
        });
    }

    private static boolean adagrad(Parallel par, Adagrad o, Step st) {
        float clr = (float) (st.lr() / (1 + (st.t() - 1) * o.lrDecay()));
        float eps = (float) o.eps();
        float[] p = st.p(), sum = st.s()[0];
        return st.commit().run(par, st.length(), GRAIN, st.written(), (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = st.grad(i) + wd(o, i, st.decayEnd()) * p[i];
                float s = sum[i] + g * g;
                sum[i] = s;
                p[i] -= clr * g / ((float) Math.sqrt(s) + eps);
            }
        });
    }

    private static boolean rmsprop(Parallel par, RmsProp o, Step st) {
        float a = (float) o.alpha(), ca = (float) (1 - o.alpha()), eps = (float) o.eps(), mom = (float) o.momentum();
        float[] p = st.p(), sq = st.s()[0];
        float[] ga = o.centered() ? st.s()[1] : null;
        float[] buf = mom > 0 ? st.s()[o.centered() ? 2 : 1] : null;
        return st.commit().run(par, st.length(), GRAIN, st.written(), (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = st.grad(i) + wd(o, i, st.decayEnd()) * p[i];
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
                    p[i] -= st.lr() * b;
                } else {
                    p[i] -= st.lr() * g / d;
                }
            }
        });
    }

    private static boolean adadelta(Parallel par, Adadelta o, Step st) {
        float r = (float) o.rho(), cr = (float) (1 - o.rho()), eps = (float) o.eps();
        float[] p = st.p(), sq = st.s()[0], acc = st.s()[1];
        return st.commit().run(par, st.length(), GRAIN, st.written(), (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = st.grad(i) + wd(o, i, st.decayEnd()) * p[i];
                float v = r * sq[i] + cr * g * g;
                sq[i] = v;
                float dx = (float) Math.sqrt(acc[i] + eps) / (float) Math.sqrt(v + eps) * g;
                acc[i] = r * acc[i] + cr * dx * dx;
                p[i] -= st.lr() * dx;
            }
        });
    }

    private static boolean nadam(Parallel par, NAdam o, Step st) {
        float b1 = (float) o.beta1(), b2 = (float) o.beta2(), eps = (float) o.eps();
        float c1 = (float) (1 - o.beta1()), c2 = (float) (1 - o.beta2());
        float invBc2 = (float) (1 / (1 - Math.pow(o.beta2(), st.t())));
        double mu = o.mu(st.t()), muNext = o.mu(st.t() + 1), prod = st.muProduct();
        float gradCoef = (float) (st.lr() * (1 - mu) / (1 - prod));
        float momCoef = (float) (st.lr() * muNext / (1 - prod * muNext));
        float[] p = st.p(), m = st.s()[0], v = st.s()[1];
        return st.commit().run(par, st.length(), GRAIN, st.written(), (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = st.grad(i) + wd(o, i, st.decayEnd()) * p[i];
                float mi = b1 * m[i] + c1 * g;
                float vi = b2 * v[i] + c2 * g * g;
                m[i] = mi;
                v[i] = vi;
                float denom = (float) Math.sqrt(vi * invBc2) + eps;
                p[i] -= (gradCoef * g + momCoef * mi) / denom;
            }
        });
    }

    private static boolean radam(Parallel par, RAdam o, Step st) {
        float b1 = (float) o.beta1(), b2 = (float) o.beta2(), eps = (float) o.eps();
        float c1 = (float) (1 - o.beta1()), c2 = (float) (1 - o.beta2());
        double bc1 = 1 - Math.pow(o.beta1(), st.t());
        double b2t = Math.pow(o.beta2(), st.t());
        double bc2 = 1 - b2t;
        double rhoInf = 2 / (1 - o.beta2()) - 1;
        double rhoT = rhoInf - 2 * st.t() * b2t / bc2;
        boolean rectify = rhoT > 5;
        double r = rectify ? Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
        // rectified: p -= (lr*r*sqrt(bc2)/bc1) * m/(sqrt(v)+eps); otherwise p -= (lr/bc1) * m
        float coef = (float) (rectify ? st.lr() * r * Math.sqrt(bc2) / bc1 : st.lr() / bc1);
        float[] p = st.p(), m = st.s()[0], v = st.s()[1];
        return st.commit().run(par, st.length(), GRAIN, st.written(), (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = st.grad(i) + wd(o, i, st.decayEnd()) * p[i];
                float mi = b1 * m[i] + c1 * g;
                float vi = b2 * v[i] + c2 * g * g;
                m[i] = mi;
                v[i] = vi;
                p[i] -= rectify ? coef * mi / ((float) Math.sqrt(vi) + eps) : coef * mi;
            }
        });
    }
}
