package dev.descent.internal;

import dev.descent.optim.Adam;
import dev.descent.optim.Sgd;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Adadelta;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.Adagrad;
import dev.descent.optim.NAdam;
import dev.descent.optim.RAdam;
/**
 * The update rules in plain double precision: the oracle every backend's fused float32 step is
 * compared against, and the place where each formula is written down once.
 *
 * <p>Conventions for every rule: {@code t} is the 1-based count of this step; elements with
 * index {@code < decayEnd} receive weight decay and the rest (biases, when the "no decay on
 * biases" group is on) do not; {@code g} is the gradient after clipping. State buffers are in
 * the order of {@link OptimizerSpec#stateNames()}.
 */
public final class ReferenceRules {
    private ReferenceRules() {}

    /**
     * Applies one step of {@code spec} to {@code p} in place.
     *
     * @param muProduct for NAdam, the product of mu_1..mu_t (including this step); ignored otherwise
     */
    public static void step(OptimizerSpec spec, double lr, double[] p, double[] g, double[][] s,
                            int decayEnd, long t, double muProduct) {
        spec.match(new OptimizerSpec.Cases<Void>() {
            @Override
            public Void sgd(Sgd o) {
                ReferenceRules.sgd(o, lr, p, g, s, decayEnd, t);
                return null;
            }

            @Override
            public Void adam(Adam o) {
                ReferenceRules.adam(o, lr, p, g, s, decayEnd, t);
                return null;
            }

            @Override
            public Void adagrad(Adagrad o) {
                ReferenceRules.adagrad(o, lr, p, g, s, decayEnd, t);
                return null;
            }

            @Override
            public Void rmsprop(RmsProp o) {
                ReferenceRules.rmsprop(o, lr, p, g, s, decayEnd);
                return null;
            }

            @Override
            public Void adadelta(Adadelta o) {
                ReferenceRules.adadelta(o, lr, p, g, s, decayEnd);
                return null;
            }

            @Override
            public Void nadam(NAdam o) {
                ReferenceRules.nadam(o, lr, p, g, s, decayEnd, t, muProduct);
                return null;
            }

            @Override
            public Void radam(RAdam o) {
                ReferenceRules.radam(o, lr, p, g, s, decayEnd, t);
                return null;
            }
        });
    }

    /** Product of NAdam's mu_1..mu_t, as the control block accumulates it. */
    public static double nadamMuProduct(NAdam spec, long t) {
        double product = 1;
        for (long i = 1; i <= t; i++) {
            product *= spec.mu(i);
        }
        return product;
    }

    private static double decay(OptimizerSpec spec, int i, int decayEnd) {
        return i < decayEnd ? spec.weightDecay() : 0;
    }

    /** g += wd*p; b = (t==1 ? g : m*b + (1-d)*g); g = nesterov ? g + m*b : b; p -= lr*g. */
    static void sgd(Sgd o, double lr, double[] p, double[] g, double[][] s, int decayEnd, long t) {
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + decay(o, i, decayEnd) * p[i];
            if (o.momentum() > 0) {
                double b = t == 1 ? gi : o.momentum() * s[0][i] + (1 - o.dampening()) * gi;
                s[0][i] = b;
                gi = o.nesterov() ? gi + o.momentum() * b : b;
            }
            p[i] -= lr * gi;
        }
    }

    /**
     * AdamW: p -= lr*wd*p first. Adam: g += wd*p. Then m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
     * amsgrad: vmax = max(vmax, v) and vmax replaces v below;
     * p -= (lr/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
     */
    static void adam(Adam o, double lr, double[] p, double[] g, double[][] s, int decayEnd, long t) {
        double bc1 = 1 - Math.pow(o.beta1(), t);
        double bc2 = 1 - Math.pow(o.beta2(), t);
        for (int i = 0; i < p.length; i++) {
            double wd = decay(o, i, decayEnd);
            double gi = g[i];
            if (o.decoupled()) {
                p[i] -= lr * wd * p[i];
            } else {
                gi += wd * p[i];
            }
            double m = o.beta1() * s[0][i] + (1 - o.beta1()) * gi;
            double v = o.beta2() * s[1][i] + (1 - o.beta2()) * gi * gi;
            s[0][i] = m;
            s[1][i] = v;
            if (o.amsgrad()) {
                v = Math.max(s[2][i], v);
                s[2][i] = v;
            }
            p[i] -= (lr / bc1) * m / (Math.sqrt(v) / Math.sqrt(bc2) + o.eps());
        }
    }

    /** g += wd*p; clr = lr/(1+(t-1)*lr_decay); s += g^2; p -= clr*g/(sqrt(s)+eps). */
    static void adagrad(Adagrad o, double lr, double[] p, double[] g, double[][] s, int decayEnd, long t) {
        double clr = lr / (1 + (t - 1) * o.lrDecay());
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + decay(o, i, decayEnd) * p[i];
            s[0][i] += gi * gi;
            p[i] -= clr * gi / (Math.sqrt(s[0][i]) + o.eps());
        }
    }

    /**
     * g += wd*p; v = a*v + (1-a)*g^2; centered: ga = a*ga + (1-a)*g, vt = v - ga^2;
     * d = sqrt(vt) + eps; momentum: b = mu*b + g/d, p -= lr*b; else p -= lr*g/d.
     */
    static void rmsprop(RmsProp o, double lr, double[] p, double[] g, double[][] s, int decayEnd) {
        double a = o.alpha();
        int momentumSlot = o.centered() ? 2 : 1;
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + decay(o, i, decayEnd) * p[i];
            double v = a * s[0][i] + (1 - a) * gi * gi;
            s[0][i] = v;
            if (o.centered()) {
                double ga = a * s[1][i] + (1 - a) * gi;
                s[1][i] = ga;
                v -= ga * ga;
            }
            double d = Math.sqrt(v) + o.eps();
            if (o.momentum() > 0) {
                double b = o.momentum() * s[momentumSlot][i] + gi / d;
                s[momentumSlot][i] = b;
                p[i] -= lr * b;
            } else {
                p[i] -= lr * gi / d;
            }
        }
    }

    /** g += wd*p; v = r*v + (1-r)*g^2; dx = sqrt(u+eps)/sqrt(v+eps)*g; u = r*u + (1-r)*dx^2; p -= lr*dx. */
    static void adadelta(Adadelta o, double lr, double[] p, double[] g, double[][] s, int decayEnd) {
        double r = o.rho();
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + decay(o, i, decayEnd) * p[i];
            double v = r * s[0][i] + (1 - r) * gi * gi;
            s[0][i] = v;
            double dx = Math.sqrt(s[1][i] + o.eps()) / Math.sqrt(v + o.eps()) * gi;
            s[1][i] = r * s[1][i] + (1 - r) * dx * dx;
            p[i] -= lr * dx;
        }
    }

    /**
     * g += wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
     * p -= lr*(1-mu_t)/(1-prod_t) * g/denom + lr*mu_{t+1}/(1-prod_t*mu_{t+1}) * m/denom,
     * denom = sqrt(v/(1-b2^t)) + eps, prod_t = mu_1*...*mu_t.
     */
    static void nadam(NAdam o, double lr, double[] p, double[] g, double[][] s, int decayEnd, long t, double muProduct) {
        double bc2 = 1 - Math.pow(o.beta2(), t);
        double mu = o.mu(t);
        double muNext = o.mu(t + 1);
        double gradCoef = lr * (1 - mu) / (1 - muProduct);
        double momentumCoef = lr * muNext / (1 - muProduct * muNext);
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + decay(o, i, decayEnd) * p[i];
            double m = o.beta1() * s[0][i] + (1 - o.beta1()) * gi;
            double v = o.beta2() * s[1][i] + (1 - o.beta2()) * gi * gi;
            s[0][i] = m;
            s[1][i] = v;
            double denom = Math.sqrt(v / bc2) + o.eps();
            p[i] -= gradCoef * gi / denom + momentumCoef * m / denom;
        }
    }

    /**
     * g += wd*p; m, v as Adam; rho_inf = 2/(1-b2) - 1; rho_t = rho_inf - 2t*b2^t/(1-b2^t).
     * rho_t > 5: p -= lr * m/bc1 * r * sqrt(bc2)/(sqrt(v)+eps),
     * r = sqrt((rho_t-4)(rho_t-2)rho_inf / ((rho_inf-4)(rho_inf-2)rho_t)); else p -= lr*m/bc1.
     */
    static void radam(RAdam o, double lr, double[] p, double[] g, double[][] s, int decayEnd, long t) {
        double bc1 = 1 - Math.pow(o.beta1(), t);
        double b2t = Math.pow(o.beta2(), t);
        double bc2 = 1 - b2t;
        double rhoInf = 2 / (1 - o.beta2()) - 1;
        double rhoT = rhoInf - 2 * t * b2t / bc2;
        boolean rectify = rhoT > 5;
        double r = rectify
                ? Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + decay(o, i, decayEnd) * p[i];
            double m = o.beta1() * s[0][i] + (1 - o.beta1()) * gi;
            double v = o.beta2() * s[1][i] + (1 - o.beta2()) * gi * gi;
            s[0][i] = m;
            s[1][i] = v;
            double mHat = m / bc1;
            p[i] -= rectify ? lr * mHat * r * Math.sqrt(bc2) / (Math.sqrt(v) + o.eps()) : lr * mHat;
        }
    }
}
