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

    /**
     * The base learning rate (schedules scale it per step).
     *
     * @return the learning rate
     */
    double lr();

    /**
     * L2 or decoupled weight decay; 0 disables it.
     *
     * @return the decay coefficient
     */
    double weightDecay();

    /**
     * The same spec with another learning rate (validated).
     *
     * @param lr the new base learning rate, positive
     * @return a new spec
     */
    OptimizerSpec withLr(double lr);

    /**
     * Names of the per-parameter state buffers this configuration keeps, in arena order.
     *
     * @return PyTorch's names, e.g. exp_avg, exp_avg_sq
     */
    List<String> stateNames();

    /**
     * Short name used by the CLI and checkpoints.
     *
     * @return e.g. "adamw"
     */
    String name();

    /**
     * State buffers this configuration keeps.
     *
     * @return the length of {@link #stateNames()}
     */
    default int stateCount() {
        return stateNames().size();
    }

    /**
     * One case per update rule. A backend implements every case, so adding a rule to
     * {@code permits} (and its {@link #match}) makes each backend that lacks it fail to compile,
     * instead of failing at run time in an instanceof chain. See docs/adding-a-rule.md.
     *
     * @param <R> what every case returns
     */
    interface Cases<R> {
        /**
         * The SGD case.
         *
         * @param spec the rule's hyperparameters
         * @return the case's result
         */
        R sgd(Sgd spec);

        /**
         * The Adam and AdamW case.
         *
         * @param spec the rule's hyperparameters
         * @return the case's result
         */
        R adam(Adam spec);

        /**
         * The Adagrad case.
         *
         * @param spec the rule's hyperparameters
         * @return the case's result
         */
        R adagrad(Adagrad spec);

        /**
         * The RMSprop case.
         *
         * @param spec the rule's hyperparameters
         * @return the case's result
         */
        R rmsprop(RmsProp spec);

        /**
         * The Adadelta case.
         *
         * @param spec the rule's hyperparameters
         * @return the case's result
         */
        R adadelta(Adadelta spec);

        /**
         * The NAdam case.
         *
         * @param spec the rule's hyperparameters
         * @return the case's result
         */
        R nadam(NAdam spec);

        /**
         * The RAdam case.
         *
         * @param spec the rule's hyperparameters
         * @return the case's result
         */
        R radam(RAdam spec);
    }

    /**
     * Calls the case of {@code cases} for this rule.
     *
     * @param <R> what the cases return
     * @param cases one case per rule
     * @return the result of this rule's case
     */
    <R> R match(Cases<R> cases);

    /**
     * The value every state buffer starts at.
     *
     * @return 0, or Adagrad's initial accumulator for its sum
     */
    default double initialState() {
        return 0;
    }
}
