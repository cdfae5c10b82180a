package dev.descent.optim;

import static dev.descent.internal.Check.nonNegativeFloat;
import static dev.descent.internal.Check.positiveFloat;
import static dev.descent.internal.Check.unitInterval;

import java.util.List;

/**
 * RAdam (Liu et al.): Adam whose adaptive term is switched on, and rectified, once the
 * variance estimate is tractable (rho_t > 5); before that it is SGD with bias-corrected
 * momentum. Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8.
 */
public record RAdam(double lr, double beta1, double beta2, double eps, double weightDecay) implements OptimizerSpec {

    /**
     * Checks every hyperparameter, naming the one out of range.
     *
     * @param lr the learning rate
     * @param beta1 decay of the first moment
     * @param beta2 decay of the second moment
     * @param eps added to the denominator for stability
     * @param weightDecay weight decay coefficient
     */
    public RAdam {
        positiveFloat("lr", lr);
        unitInterval("beta1", beta1);
        unitInterval("beta2", beta2);
        positiveFloat("eps", eps);
        nonNegativeFloat("weightDecay", weightDecay);
    }

    /**
     * RAdam with PyTorch's defaults otherwise.
     *
     * @param lr the learning rate
     * @return the spec
     */
    public static RAdam of(double lr) {
        return new RAdam(lr, 0.9, 0.999, 1e-8, 0);
    }

    @Override
    public RAdam withLr(double newLr) {
        return new RAdam(newLr, beta1, beta2, eps, weightDecay);
    }

    @Override
    public <R> R match(Cases<R> cases) {
        return cases.radam(this);
    }

    @Override
    public List<String> stateNames() {
        return List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    public String name() {
        return "radam";
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
        private double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay;

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
         * Validates and builds.
         *
         * @return the spec
         */
        public RAdam build() {
            return new RAdam(lr, beta1, beta2, eps, weightDecay);
        }
    }
}
