package dev.descent.optim;

import static dev.descent.internal.Check.nonNegativeFloat;
import static dev.descent.internal.Check.positiveFloat;
import static dev.descent.internal.Check.unitInterval;

import java.util.ArrayList;
import java.util.List;

/**
 * RMSprop as in PyTorch: eps is added outside the square root; the centered variant subtracts
 * the square of the running gradient mean; with momentum the scaled step is accumulated in a
 * buffer. Defaults: lr 1e-2, alpha 0.99, eps 1e-8.
 */
public record RmsProp(double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered)
        implements OptimizerSpec {

    /**
     * Checks every hyperparameter, naming the one out of range.
     *
     * @param lr the learning rate
     * @param alpha decay of the squared-gradient average
     * @param eps added to the denominator for stability
     * @param weightDecay weight decay coefficient
     * @param momentum the momentum factor
     * @param centered subtract the squared mean gradient (centered RMSprop)
     */
    public RmsProp {
        positiveFloat("lr", lr);
        unitInterval("alpha", alpha);
        positiveFloat("eps", eps);
        nonNegativeFloat("weightDecay", weightDecay);
        nonNegativeFloat("momentum", momentum);
    }

    /**
     * RMSprop with PyTorch's defaults otherwise.
     *
     * @param lr the learning rate
     * @return the spec
     */
    public static RmsProp of(double lr) {
        return new RmsProp(lr, 0.99, 1e-8, 0, 0, false);
    }

    @Override
    public RmsProp withLr(double newLr) {
        return new RmsProp(newLr, alpha, eps, weightDecay, momentum, centered);
    }

    @Override
    public <R> R match(Cases<R> cases) {
        return cases.rmsprop(this);
    }

    @Override
    public List<String> stateNames() {
        List<String> names = new ArrayList<>(List.of("square_avg"));
        if (centered) {
            names.add("grad_avg");
        }
        if (momentum > 0) {
            names.add("momentum_buffer");
        }
        return List.copyOf(names);
    }

    @Override
    public String name() {
        return "rmsprop";
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
        private double lr = 1e-2, alpha = 0.99, eps = 1e-8, weightDecay, momentum;
        private boolean centered;

        /**
         * Sets lr.
         *
         * @param v the learning rate
         * @return this builder
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * Sets alpha.
         *
         * @param v decay of the squared-gradient average
         * @return this builder
         */
        public Builder alpha(double v) { alpha = v; return this; }
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
         * Sets momentum.
         *
         * @param v the momentum factor
         * @return this builder
         */
        public Builder momentum(double v) { momentum = v; return this; }
        /**
         * Sets centered.
         *
         * @param v subtract the squared mean gradient (centered RMSprop)
         * @return this builder
         */
        public Builder centered(boolean v) { centered = v; return this; }

        /**
         * Validates and builds.
         *
         * @return the spec
         */
        public RmsProp build() {
            return new RmsProp(lr, alpha, eps, weightDecay, momentum, centered);
        }
    }
}
