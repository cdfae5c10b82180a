package dev.descent.optim;

import static dev.descent.internal.Check.closedUnitInterval;
import static dev.descent.internal.Check.nonNegativeFloat;
import static dev.descent.internal.Check.positiveFloat;

import java.util.List;

/**
 * Adadelta: eps sits inside both square roots. Defaults: lr 1.0, rho 0.9, eps 1e-6.
 */
public record Adadelta(double lr, double rho, double eps, double weightDecay) implements OptimizerSpec {

    /**
     * Checks every hyperparameter, naming the one out of range.
     *
     * @param lr the learning rate
     * @param rho decay of the running averages
     * @param eps added to the denominator for stability
     * @param weightDecay weight decay coefficient
     */
    public Adadelta {
        positiveFloat("lr", lr);
        closedUnitInterval("rho", rho);
        positiveFloat("eps", eps);
        nonNegativeFloat("weightDecay", weightDecay);
    }

    /**
     * Adadelta with PyTorch's defaults otherwise.
     *
     * @param lr the learning rate
     * @return the spec
     */
    public static Adadelta of(double lr) {
        return new Adadelta(lr, 0.9, 1e-6, 0);
    }

    @Override
    public Adadelta withLr(double newLr) {
        return new Adadelta(newLr, rho, eps, weightDecay);
    }

    @Override
    public <R> R match(Cases<R> cases) {
        return cases.adadelta(this);
    }

    @Override
    public List<String> stateNames() {
        return List.of("square_avg", "acc_delta");
    }

    @Override
    public String name() {
        return "adadelta";
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
        private double lr = 1.0, rho = 0.9, eps = 1e-6, weightDecay;

        /**
         * Sets lr.
         *
         * @param v the learning rate
         * @return this builder
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * Sets rho.
         *
         * @param v decay of the running averages
         * @return this builder
         */
        public Builder rho(double v) { rho = v; return this; }
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
        public Adadelta build() {
            return new Adadelta(lr, rho, eps, weightDecay);
        }
    }
}
