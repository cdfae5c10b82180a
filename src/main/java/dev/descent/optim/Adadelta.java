package dev.descent.optim;

import static dev.descent.internal.Check.closedUnitInterval;
import static dev.descent.internal.Check.nonNegativeFloat;
import static dev.descent.internal.Check.positiveFloat;

import java.util.List;

/**
 * Adadelta: eps sits inside both square roots. Defaults: lr 1.0, rho 0.9, eps 1e-6.
 */
public record Adadelta(double lr, double rho, double eps, double weightDecay) implements OptimizerSpec {

    public Adadelta {
        positiveFloat("lr", lr);
        closedUnitInterval("rho", rho);
        positiveFloat("eps", eps);
        nonNegativeFloat("weightDecay", weightDecay);
    }

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

    /** PyTorch's defaults: lr 1.0, rho 0.9, eps 1e-6, weight_decay 0. */
    public static Builder builder() {
        return new Builder();
    }

    /** PyTorch's argument names; validation happens in build(). */
    public static final class Builder {
        private double lr = 1.0, rho = 0.9, eps = 1e-6, weightDecay;

        public Builder lr(double v) { lr = v; return this; }
        public Builder rho(double v) { rho = v; return this; }
        public Builder eps(double v) { eps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }

        public Adadelta build() {
            return new Adadelta(lr, rho, eps, weightDecay);
        }
    }
}
