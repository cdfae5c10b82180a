package dev.descent;

/**
 * One epoch's numbers. Training loss and accuracy are running values over the epoch's
 * non-skipped batches, measured before each update (as most training loops report them).
 * Held-out numbers are NaN when there is no held-out set.
 */
public record EpochStats(int epoch, double trainLoss, double trainAccuracy, double heldOutLoss,
                         double heldOutAccuracy, double seconds, double samplesPerSecond, long skippedSteps,
                         double lr, long steps) {}
