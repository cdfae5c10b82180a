package dev.descent.optim;

import java.util.List;

/**
 * An optimizer's hyperparameters: immutable and validated at construction, so a bad value
 * fails where it is written, not thousands of steps later. The update rules themselves, with
 * their formulas, are in {@code dev.descent.internal.ReferenceRules} (double precision, the oracle every backend is
 * held against); backends implement the same rules as one fused pass over the arena.
 *
 * <p>Semantics are PyTorch's {@code torch.optim} (step count t starts at 1). Weight decay is
 * L2 added to the gradient, except for {@link Adam} with {@code decoupled = true} (AdamW).
 */
public sealed interface OptimizerSpec
        permits Sgd, Adam, Adagrad, RmsProp, Adadelta, NAdam, RAdam {

    /** The base learning rate (schedules scale it per step). */
    double lr();

    /** L2 / decoupled weight decay; 0 disables it. */
    double weightDecay();

    /** The same spec with another learning rate (validated). */
    OptimizerSpec withLr(double lr);

    /** Names of the per-parameter state buffers this configuration keeps, in arena order. */
    List<String> stateNames();

    /** Short name used by the CLI and checkpoints, e.g. "adamw". */
    String name();

    default int stateCount() {
        return stateNames().size();
    }

    /**
     * One case per update rule. A backend implements every case, so adding a rule to
     * {@code permits} (and its {@link #match}) makes each backend that lacks it fail to compile,
     * instead of failing at run time in an instanceof chain. See docs/adding-a-rule.md.
     */
    interface Cases<R> {
        R sgd(Sgd spec);

        R adam(Adam spec);

        R adagrad(Adagrad spec);

        R rmsprop(RmsProp spec);

        R adadelta(Adadelta spec);

        R nadam(NAdam spec);

        R radam(RAdam spec);
    }

    /** Calls the case of {@code cases} for this rule. */
    <R> R match(Cases<R> cases);

    /** The value every state buffer starts at (0; Adagrad's sum starts at its initial accumulator). */
    default double initialState() {
        return 0;
    }
}
