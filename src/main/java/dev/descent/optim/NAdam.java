package dev.descent.optim;

import static dev.descent.internal.Check.nonNegativeFloat;
import static dev.descent.internal.Check.positiveFloat;
import static dev.descent.internal.Check.unitInterval;

import java.util.List;

/**
 * NAdam (Dozat) with PyTorch's momentum schedule {@code mu_t = beta1*(1 - 0.5*0.96^(t*psi))},
 * psi = momentumDecay. The running product of mu_t is a per-model scalar kept in the session's
 * control block. Defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, momentumDecay 4e-3.
 */
public record NAdam(double lr, double beta1, double beta2, double eps, double weightDecay, double momentumDecay)
        implements OptimizerSpec {

    /**
     * Checks every hyperparameter, naming the one out of range.
     *
     * @param lr the learning rate
     * @param beta1 decay of the first moment
     * @param beta2 decay of the second moment
     * @param eps added to the denominator for stability
     * @param weightDecay weight decay coefficient
     * @param momentumDecay NAdam's momentum decay
     */
    public NAdam {
        positiveFloat("lr", lr);
        unitInterval("beta1", beta1);
        unitInterval("beta2", beta2);
        positiveFloat("eps", eps);
        nonNegativeFloat("weightDecay", weightDecay);
        nonNegativeFloat("momentumDecay", momentumDecay);
    }

    /**
     * NAdam with PyTorch's defaults otherwise.
     *
     * @param lr the learning rate
     * @return the spec
     */
    public static NAdam of(double lr) {
        return new NAdam(lr, 0.9, 0.999, 1e-8, 0, 4e-3);
    }

    /**
     * mu_t of the momentum schedule: beta1 (1 - 0.5 * 0.96^(t * momentumDecay)).
     *
     * @param t the step, from 1
     * @return mu_t
     */
    public double mu(long t) {
        return beta1 * (1 - 0.5 * Math.pow(0.96, t * momentumDecay));
    }

    @Override
    public NAdam withLr(double newLr) {
        return new NAdam(newLr, beta1, beta2, eps, weightDecay, momentumDecay);
    }

    @Override
    public <R> R match(Cases<R> cases) {
        return cases.nadam(this);
    }

    @Override
    public List<String> stateNames() {
        return List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    public String name() {
        return "nadam";
    }

    /**
     * A builder starting from PyTorch's defaults.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** PyTorch's argument names; validation happens in build(). */
    public static final class Builder {
        private double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay, momentumDecay = 4e-3;

        /**
         * Sets lr.
         *
         * @param v the learning rate
         * @return this builder
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * Sets both moment decays.
         *
         * @param b1 beta1, decay of the first moment
         * @param b2 beta2, decay of the second moment
         * @return this builder
         */
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        /**
         * Sets eps.
         *
         * @param v added to the denominator for stability
         * @return this builder
         */
        public Builder eps(double v) { eps = v; return this; }
        /**
         * Sets weightDecay.
         *
         * @param v weight decay coefficient
         * @return this builder
         */
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        /**
         * Sets momentumDecay.
         *
         * @param v NAdam's momentum decay
         * @return this builder
         */
        public Builder momentumDecay(double v) { momentumDecay = v; return this; }

        /**
         * Validates and builds.
         *
         * @return the spec
         */
        public NAdam build() {
            return new NAdam(lr, beta1, beta2, eps, weightDecay, momentumDecay);
        }
    }
}
