package dev.descent.optim;

import static dev.descent.internal.Check.nonNegativeFloat;
import static dev.descent.internal.Check.positiveFloat;

import java.util.List;

/**
 * Stochastic gradient descent with PyTorch's momentum convention ({@code b = m*b + (1-d)*g},
 * {@code p -= lr*b}); the first step sets {@code b = g} without dampening. This differs from the
 * Keras convention ({@code v = m*v - lr*g}) only when the learning rate changes between steps.
 * Nesterov requires momentum > 0 and dampening 0, as in PyTorch.
 */
public record Sgd(double lr, double momentum, double dampening, boolean nesterov, double weightDecay)
        implements OptimizerSpec {

    /**
     * Checks every hyperparameter, naming the one out of range.
     *
     * @param lr the learning rate
     * @param momentum the momentum factor
     * @param dampening dampening of the momentum buffer
     * @param nesterov Nesterov momentum
     * @param weightDecay weight decay coefficient
     */
    public Sgd {
        positiveFloat("lr", lr);
        nonNegativeFloat("momentum", momentum);
        nonNegativeFloat("dampening", dampening);
        nonNegativeFloat("weightDecay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("nesterov requires momentum > 0 and dampening = 0, got momentum="
                    + momentum + " dampening=" + dampening);
        }
    }

    /**
     * Plain SGD: no momentum, no decay.
     *
     * @param lr the learning rate
     * @return the spec
     */
    public static Sgd of(double lr) {
        return new Sgd(lr, 0, 0, false, 0);
    }

    /**
     * SGD with (heavy-ball) momentum, no dampening or decay.
     *
     * @param lr the learning rate
     * @param momentum the momentum factor
     * @return the spec
     */
    public static Sgd momentum(double lr, double momentum) {
        return new Sgd(lr, momentum, 0, false, 0);
    }

    @Override
    public Sgd withLr(double newLr) {
        return new Sgd(newLr, momentum, dampening, nesterov, weightDecay);
    }

    @Override
    public <R> R match(Cases<R> cases) {
        return cases.sgd(this);
    }

    @Override
    public List<String> stateNames() {
        return momentum > 0 ? List.of("momentum_buffer") : List.of();
    }

    @Override
    public String name() {
        return "sgd";
    }

    /**
     * A builder starting from PyTorch's defaults (lr 1e-3 as in torch.optim.SGD; the CLI's --lr
     * default for sgd is 0.01).
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** PyTorch's argument names; validation happens in build(). */
    public static final class Builder {
        private double lr = 1e-3, momentum, dampening, weightDecay;
        private boolean nesterov;

        /**
         * Sets lr.
         *
         * @param v the learning rate
         * @return this builder
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * Sets momentum.
         *
         * @param v the momentum factor
         * @return this builder
         */
        public Builder momentum(double v) { momentum = v; return this; }
        /**
         * Sets dampening.
         *
         * @param v dampening of the momentum buffer
         * @return this builder
         */
        public Builder dampening(double v) { dampening = v; return this; }
        /**
         * Sets nesterov.
         *
         * @param v Nesterov momentum
         * @return this builder
         */
        public Builder nesterov(boolean v) { nesterov = v; return this; }
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
        public Sgd build() {
            return new Sgd(lr, momentum, dampening, nesterov, weightDecay);
        }
    }
}
