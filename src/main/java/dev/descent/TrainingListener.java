package dev.descent;

/** Progress callbacks from {@link Trainer}; both run on the training thread. */
public interface TrainingListener {

    /** After each batch has been launched (no device read happens for this call). */
    default void onBatch(int epoch, int batch, int batches) {}

    /** After each epoch's held-out evaluation. */
    default void onEpoch(EpochStats stats) {}

    TrainingListener NONE = new TrainingListener() {};
}
