package dev.descent;

/**
 * One epoch's numbers. Training loss and accuracy are running values over the epoch's applied
 * steps, measured before each update (as most training loops report them); they are NaN when
 * no step of the epoch was applied ({@link #noStepApplied()}), and callers that print them
 * should say so instead. Held-out numbers are NaN when there is no held-out set; the held-out
 * loss is also non-finite when the model's outputs overflow (finite but huge parameters).
 *
 * @param skippedSteps bad steps of the whole run so far (non-finite loss or gradient, or an
 *                     update that would have produced non-finite values)
 * @param epochBadSteps bad steps in this epoch
 * @param batches       steps in this epoch
 */
public record EpochStats(int epoch, double trainLoss, double trainAccuracy, double heldOutLoss,
                         double heldOutAccuracy, double seconds, double samplesPerSecond, long skippedSteps,
                         double lr, long steps, long epochBadSteps, int batches) {

    /** True when every step of the epoch was skipped, so there is no training loss to report. */
    public boolean noStepApplied() {
        return Double.isNaN(trainLoss);
    }
}
