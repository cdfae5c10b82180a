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

    /** Plain SGD: no momentum, no decay. */
    public static Sgd of(double lr) {
        return new Sgd(lr, 0, 0, false, 0);
    }

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

    /** PyTorch's defaults (lr 1e-3 as in torch.optim.SGD; the CLI's --lr default for sgd is 0.01). */
    public static Builder builder() {
        return new Builder();
    }

    /** PyTorch's argument names; validation happens in build(). */
    public static final class Builder {
        private double lr = 1e-3, momentum, dampening, weightDecay;
        private boolean nesterov;

        public Builder lr(double v) { lr = v; return this; }
        public Builder momentum(double v) { momentum = v; return this; }
        public Builder dampening(double v) { dampening = v; return this; }
        public Builder nesterov(boolean v) { nesterov = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }

        public Sgd build() {
            return new Sgd(lr, momentum, dampening, nesterov, weightDecay);
        }
    }
}
