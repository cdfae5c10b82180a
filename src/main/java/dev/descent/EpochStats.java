package dev.descent;

import java.util.Locale;

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

    /**
     * True when every step of the epoch was skipped, so there is no training loss to report.
     *
     * @return whether the training loss is NaN for that reason
     */
    public boolean noStepApplied() {
        return Double.isNaN(trainLoss);
    }

    /**
     * The line {@code descent train} prints for this epoch. It never shows NaN or Infinity: an epoch
     * whose every step was skipped says so instead of a training loss, and a held-out loss that
     * overflowed is reported as such.
     *
     * @param epochs the planned count shown after the slash; 0 leaves it out
     * @return the line
     */
    public String format(int epochs) {
        return format(epochs, "held-out");
    }

    /**
     * As {@link #format(int)}, naming the per-epoch evaluation set.
     *
     * @param epochs the planned count shown after the slash; 0 leaves it out
     * @param heldOutName e.g. "val" for a validation split
     * @return the line
     */
    public String format(int epochs, String heldOutName) {
        StringBuilder line = new StringBuilder(epochs > 0 ? String.format(Locale.ROOT, "epoch %3d/%d  ", epoch(), epochs)
                : String.format(Locale.ROOT, "epoch %d  ", epoch()));
        if (noStepApplied()) {
            line.append(String.format(Locale.ROOT, "every step skipped (%d of %d bad)", epochBadSteps(), batches()));
        } else {
            line.append(String.format(Locale.ROOT, "loss %.4f  train acc %.4f", trainLoss(), trainAccuracy()));
        }
        boolean noHeldOut = Double.isNaN(heldOutLoss()) && Double.isNaN(heldOutAccuracy());
        if (Double.isFinite(heldOutLoss())) {
            line.append(String.format(Locale.ROOT, "  %s loss %.4f", heldOutName, heldOutLoss()));
        } else if (!noHeldOut) {
            line.append("  ").append(heldOutName).append(" loss overflows float32");
        }
        if (Double.isFinite(heldOutAccuracy())) {
            line.append(String.format(Locale.ROOT, "  %s acc %.4f", heldOutName, heldOutAccuracy()));
        }
        line.append(String.format(Locale.ROOT, "  lr %.3g  %.2f s  %.0f samples/s", lr(), seconds(),
                samplesPerSecond()));
        if (epochBadSteps() > 0 && !noStepApplied()) {
            line.append(String.format(Locale.ROOT, "  bad steps %d of %d", epochBadSteps(), batches()));
        }
        return line.toString();
    }

    /** The CLI's epoch line without the planned epoch count. */
    @Override
    public String toString() {
        return format(0);
    }
}
