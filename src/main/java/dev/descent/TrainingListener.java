package dev.descent;

/**
 * Progress callbacks from {@link Trainer}; both run on the training thread. A lambda is an
 * epoch listener: {@code trainer.fit(train, heldOut, stats -> System.out.println(stats))}.
 */
@FunctionalInterface
public interface TrainingListener {

    /**
     * After each epoch's held-out evaluation.
     *
     * @param stats the epoch's loss, accuracy and guard counts
     */
    void onEpoch(EpochStats stats);

    /**
     * After each batch has been launched (no device read happens for this call).
     *
     * @param epoch the epoch, 1-based
     * @param batch the batch within the epoch, 1-based
     * @param batches batches in the epoch
     */
    default void onBatch(int epoch, int batch, int batches) {}

    /**
     * Asked after each {@link #onEpoch}: true ends training there (early stopping). The report
     * then holds the epochs run so far and is not marked halted.
     *
     * @return whether to stop
     */
    default boolean stopRequested() {
        return false;
    }

    /**
     * A listener that does nothing.
     */
    TrainingListener NONE = stats -> { };
}
