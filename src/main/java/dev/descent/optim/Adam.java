package dev.descent.optim;

import static dev.descent.Check.nonNegativeFloat;
import static dev.descent.Check.positiveFloat;
import static dev.descent.Check.unitInterval;

import java.util.List;

/**
 * Adam, and AdamW when {@code decoupled} is set (weight decay applied to the parameter,
 * {@code p -= lr*wd*p}, instead of added to the gradient). AMSGrad keeps the running maximum of
 * the raw second moment and bias-corrects it afterwards, as PyTorch's code does.
 * Defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8; AdamW's default weight decay is 1e-2.
 */
public record Adam(double lr, double beta1, double beta2, double eps, double weightDecay,
                   boolean amsgrad, boolean decoupled) implements OptimizerSpec {

    public Adam {
        positiveFloat("lr", lr);
        unitInterval("beta1", beta1);
        unitInterval("beta2", beta2);
        positiveFloat("eps", eps);
        nonNegativeFloat("weightDecay", weightDecay);
    }

    public static Adam adam(double lr) {
        return new Adam(lr, 0.9, 0.999, 1e-8, 0, false, false);
    }

    public static Adam adamW(double lr) {
        return new Adam(lr, 0.9, 0.999, 1e-8, 1e-2, false, true);
    }

    @Override
    public Adam withLr(double newLr) {
        return new Adam(newLr, beta1, beta2, eps, weightDecay, amsgrad, decoupled);
    }

    public Adam withAmsgrad(boolean on) {
        return new Adam(lr, beta1, beta2, eps, weightDecay, on, decoupled);
    }

    public Adam withWeightDecay(double wd) {
        return new Adam(lr, beta1, beta2, eps, wd, amsgrad, decoupled);
    }

    @Override
    public List<String> stateNames() {
        return amsgrad ? List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq") : List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    public String name() {
        return decoupled ? "adamw" : "adam";
    }
}
