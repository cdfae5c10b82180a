package dev.descent.optim;

import static dev.descent.internal.Check.nonNegativeFloat;
import static dev.descent.internal.Check.positiveFloat;

import java.util.List;

/**
 * Adagrad: {@code clr = lr/(1+(t-1)*lrDecay)}, {@code s += g^2} with s starting at
 * {@code initialAccumulatorValue}, {@code p -= clr*g/(sqrt(s)+eps)}.
 * Defaults: lr 1e-2, lrDecay 0, initial accumulator 0, eps 1e-10.
 */
public record Adagrad(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double eps)
        implements OptimizerSpec {

    /**
     * Checks every hyperparameter, naming the one out of range.
     *
     * @param lr the learning rate
     * @param lrDecay learning-rate decay per step
     * @param weightDecay weight decay coefficient
     * @param initialAccumulatorValue starting value of the squared-gradient sum
     * @param eps added to the denominator for stability
     */
    public Adagrad {
        positiveFloat("lr", lr);
        nonNegativeFloat("lrDecay", lrDecay);
        nonNegativeFloat("weightDecay", weightDecay);
        nonNegativeFloat("initialAccumulatorValue", initialAccumulatorValue);
        positiveFloat("eps", eps);
    }

    /**
     * Adagrad with PyTorch's defaults otherwise.
     *
     * @param lr the learning rate
     * @return the spec
     */
    public static Adagrad of(double lr) {
        return new Adagrad(lr, 0, 0, 0, 1e-10);
    }

    @Override
    public Adagrad withLr(double newLr) {
        return new Adagrad(newLr, lrDecay, weightDecay, initialAccumulatorValue, eps);
    }

    @Override
    public double initialState() {
        return initialAccumulatorValue;
    }

    @Override
    public <R> R match(Cases<R> cases) {
        return cases.adagrad(this);
    }

    @Override
    public List<String> stateNames() {
        return List.of("sum");
    }

    @Override
    public String name() {
        return "adagrad";
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
        private double lr = 1e-2, lrDecay, weightDecay, initialAccumulatorValue, eps = 1e-10;

        /**
         * Sets lr.
         *
         * @param v the learning rate
         * @return this builder
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * Sets lrDecay.
         *
         * @param v learning-rate decay per step
         * @return this builder
         */
        public Builder lrDecay(double v) { lrDecay = v; return this; }
        /**
         * Sets weightDecay.
         *
         * @param v weight decay coefficient
         * @return this builder
         */
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        /**
         * Sets initialAccumulatorValue.
         *
         * @param v starting value of the squared-gradient sum
         * @return this builder
         */
        public Builder initialAccumulatorValue(double v) { initialAccumulatorValue = v; return this; }
        /**
         * Sets eps.
         *
         * @param v added to the denominator for stability
         * @return this builder
         */
        public Builder eps(double v) { eps = v; return this; }

        /**
         * Validates and builds.
         *
         * @return the spec
         */
        public Adagrad build() {
            return new Adagrad(lr, lrDecay, weightDecay, initialAccumulatorValue, eps);
        }
    }
}
