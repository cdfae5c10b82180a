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

    public Adagrad {
        positiveFloat("lr", lr);
        nonNegativeFloat("lrDecay", lrDecay);
        nonNegativeFloat("weightDecay", weightDecay);
        nonNegativeFloat("initialAccumulatorValue", initialAccumulatorValue);
        positiveFloat("eps", eps);
    }

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

    /** PyTorch's defaults: lr 1e-2, lr_decay 0, weight_decay 0, initial_accumulator_value 0, eps 1e-10. */
    public static Builder builder() {
        return new Builder();
    }

    /** PyTorch's argument names; validation happens in build(). */
    public static final class Builder {
        private double lr = 1e-2, lrDecay, weightDecay, initialAccumulatorValue, eps = 1e-10;

        public Builder lr(double v) { lr = v; return this; }
        public Builder lrDecay(double v) { lrDecay = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder initialAccumulatorValue(double v) { initialAccumulatorValue = v; return this; }
        public Builder eps(double v) { eps = v; return this; }

        public Adagrad build() {
            return new Adagrad(lr, lrDecay, weightDecay, initialAccumulatorValue, eps);
        }
    }
}
