package dev.descent.optim;

import static dev.descent.Check.nonNegativeFloat;
import static dev.descent.Check.positiveFloat;

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
    public List<String> stateNames() {
        return List.of("sum");
    }

    @Override
    public String name() {
        return "adagrad";
    }
}
