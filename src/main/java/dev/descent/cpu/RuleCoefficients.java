package dev.descent.cpu;

import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;

/**
 * The per-step scalars of each update rule, computed once per call in double and rounded to
 * float, shared by the scalar loops ({@link CpuUpdates}) and the Vector API loops
 * ({@link VectorUpdates}) so that both run the same float operations in the same order.
 * Complements such as 1 - beta2 are formed in double and then rounded, as PyTorch does: in
 * float, 1 - 0.999f is off by 1.3e-5 relative because 0.999 has no exact float form.
 */
final class RuleCoefficients {
    private RuleCoefficients() {}

    /** SGD; {@code first} is step 1, where the momentum buffer starts as the gradient. */
    record SgdK(float lr, float mom, float damp, boolean first, boolean nesterov, boolean momentum) {
        static SgdK of(Sgd o, CpuUpdates.Step st) {
            float mom = (float) o.momentum();
            return new SgdK(st.lr(), mom, (float) (1 - o.dampening()), st.t() == 1, o.nesterov(), mom > 0);
        }
    }

    /** Adam, AdamW and AMSGrad: the step size and 1/sqrt(bias correction 2) fold the bias corrections. */
    record AdamK(float lr, float b1, float b2, float c1, float c2, float eps, float stepSize, float invSqrtBc2,
                 boolean decoupled, boolean amsgrad) {
        static AdamK of(Adam o, CpuUpdates.Step st) {
            return new AdamK(st.lr(), (float) o.beta1(), (float) o.beta2(), (float) (1 - o.beta1()),
                    (float) (1 - o.beta2()), (float) o.eps(),
                    (float) (st.lr() / (1 - Math.pow(o.beta1(), st.t()))),
                    (float) (1 / Math.sqrt(1 - Math.pow(o.beta2(), st.t()))), o.decoupled(), o.amsgrad());
        }
    }

    /** Adagrad with its decayed learning rate. */
    record AdagradK(float clr, float eps) {
        static AdagradK of(Adagrad o, CpuUpdates.Step st) {
            return new AdagradK((float) (st.lr() / (1 + (st.t() - 1) * o.lrDecay())), (float) o.eps());
        }
    }

    /** RMSprop, optionally centered and with momentum. */
    record RmsPropK(float lr, float a, float ca, float eps, float mom, boolean centered, boolean momentum) {
        static RmsPropK of(RmsProp o, CpuUpdates.Step st) {
            float mom = (float) o.momentum();
            return new RmsPropK(st.lr(), (float) o.alpha(), (float) (1 - o.alpha()), (float) o.eps(), mom,
                    o.centered(), mom > 0);
        }
    }

    /** Adadelta. */
    record AdadeltaK(float lr, float r, float cr, float eps) {
        static AdadeltaK of(Adadelta o, CpuUpdates.Step st) {
            return new AdadeltaK(st.lr(), (float) o.rho(), (float) (1 - o.rho()), (float) o.eps());
        }
    }

    /** NAdam: the momentum schedule's product folds into the two coefficients. */
    record NAdamK(float b1, float b2, float c1, float c2, float eps, float invBc2, float gradCoef, float momCoef) {
        static NAdamK of(NAdam o, CpuUpdates.Step st) {
            double mu = o.mu(st.t()), muNext = o.mu(st.t() + 1), prod = st.muProduct();
            return new NAdamK((float) o.beta1(), (float) o.beta2(), (float) (1 - o.beta1()), (float) (1 - o.beta2()),
                    (float) o.eps(), (float) (1 / (1 - Math.pow(o.beta2(), st.t()))),
                    (float) (st.lr() * (1 - mu) / (1 - prod)), (float) (st.lr() * muNext / (1 - prod * muNext)));
        }
    }

    /**
     * RAdam. Rectified: p -= (lr*r*sqrt(bc2)/bc1) * m/(sqrt(v)+eps); otherwise p -= (lr/bc1) * m.
     */
    record RAdamK(float b1, float b2, float c1, float c2, float eps, float coef, boolean rectify) {
        static RAdamK of(RAdam o, CpuUpdates.Step st) {
            double bc1 = 1 - Math.pow(o.beta1(), st.t());
            double b2t = Math.pow(o.beta2(), st.t());
            double bc2 = 1 - b2t;
            double rhoInf = 2 / (1 - o.beta2()) - 1;
            double rhoT = rhoInf - 2 * st.t() * b2t / bc2;
            boolean rectify = rhoT > 5;
            double r = rectify ? Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
            float coef = (float) (rectify ? st.lr() * r * Math.sqrt(bc2) / bc1 : st.lr() / bc1);
            return new RAdamK((float) o.beta1(), (float) o.beta2(), (float) (1 - o.beta1()), (float) (1 - o.beta2()),
                    (float) o.eps(), coef, rectify);
        }
    }
}
