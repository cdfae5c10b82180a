package dev.descent.optim;

import static dev.descent.internal.Check.nonNegativeFloat;
import static dev.descent.internal.Check.positiveFloat;
import static dev.descent.internal.Check.unitInterval;

import java.util.List;

/**
 * Adam, and AdamW when {@code decoupled} is set (weight decay applied to the parameter,
 * {@code p -= lr*wd*p}, instead of added to the gradient). AMSGrad keeps the running maximum of
 * the raw second moment and bias-corrects it afterwards, as PyTorch's code does.
 * Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8; AdamW's default weight decay is 1e-2.
 */
public record Adam(double lr, double beta1, double beta2, double eps, double weightDecay,
                   boolean amsgrad, boolean decoupled) implements OptimizerSpec {

    /**
     * Checks every hyperparameter, naming the one out of range.
     *
     * @param lr the learning rate
     * @param beta1 decay of the first moment
     * @param beta2 decay of the second moment
     * @param eps added to the denominator for stability
     * @param weightDecay weight decay coefficient
     * @param amsgrad use AMSGrad
     * @param decoupled decoupled weight decay (AdamW)
     */
    public Adam {
        positiveFloat("lr", lr);
        unitInterval("beta1", beta1);
        unitInterval("beta2", beta2);
        positiveFloat("eps", eps);
        nonNegativeFloat("weightDecay", weightDecay);
    }

    /**
     * Adam with PyTorch's defaults otherwise.
     *
     * @param lr the learning rate
     * @return the spec
     */
    public static Adam adam(double lr) {
        return new Adam(lr, 0.9, 0.999, 1e-8, 0, false, false);
    }

    /**
     * AdamW (decoupled weight decay 1e-2) with PyTorch's defaults otherwise.
     *
     * @param lr the learning rate
     * @return the spec
     */
    public static Adam adamW(double lr) {
        return new Adam(lr, 0.9, 0.999, 1e-8, 1e-2, false, true);
    }

    @Override
    public Adam withLr(double newLr) {
        return new Adam(newLr, beta1, beta2, eps, weightDecay, amsgrad, decoupled);
    }

    /**
     * The same spec with AMSGrad on or off.
     *
     * @param on whether to keep the running maximum of the second moment
     * @return a new spec
     */
    public Adam withAmsgrad(boolean on) {
        return new Adam(lr, beta1, beta2, eps, weightDecay, on, decoupled);
    }

    /**
     * The same spec with another weight decay (L2, or decoupled for AdamW).
     *
     * @param wd the decay coefficient
     * @return a new spec
     */
    public Adam withWeightDecay(double wd) {
        return new Adam(lr, beta1, beta2, eps, wd, amsgrad, decoupled);
    }

    @Override
    public <R> R match(Cases<R> cases) {
        return cases.adam(this);
    }

    @Override
    public List<String> stateNames() {
        return amsgrad ? List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq") : List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    public String name() {
        return decoupled ? "adamw" : "adam";
    }

    /**
     * A builder starting from PyTorch's defaults.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder(false, 0);
    }

    /**
     * AdamW with PyTorch's defaults (weight decay 0.01, decoupled).
     *
     * @return the builder
     */
    public static Builder adamWBuilder() {
        return new Builder(true, 1e-2);
    }

    /** PyTorch's argument names; validation happens in build(). */
    public static final class Builder {
        private double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay;
        private boolean amsgrad;
        private final boolean decoupled;

        private Builder(boolean decoupled, double weightDecay) {
            this.decoupled = decoupled;
            this.weightDecay = weightDecay;
        }

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
         * Sets amsgrad.
         *
         * @param v use AMSGrad
         * @return this builder
         */
        public Builder amsgrad(boolean v) { amsgrad = v; return this; }

        /**
         * Validates and builds.
         *
         * @return the spec
         */
        public Adam build() {
            return new Adam(lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled);
        }
    }
}
