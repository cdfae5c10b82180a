package dev.descent.cli;

import dev.descent.EpochStats;
import java.util.Locale;

/**
 * The line {@code train} prints per epoch. It never prints NaN or Infinity: an epoch whose every
 * step was skipped says so instead of a training loss, and a held-out loss that overflowed
 * (finite parameters, but outputs beyond float range) is reported as such.
 */
final class EpochLine {
    private EpochLine() {}

    static String format(EpochStats s, int epochs) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "epoch %3d/%d  ", s.epoch(), epochs));
        if (s.noStepApplied()) {
            line.append(String.format(Locale.ROOT, "every step skipped (%d of %d bad)", s.epochBadSteps(), s.batches()));
        } else {
            line.append(String.format(Locale.ROOT, "loss %.4f  train acc %.4f", s.trainLoss(), s.trainAccuracy()));
        }
        if (Double.isFinite(s.heldOutLoss())) {
            line.append(String.format(Locale.ROOT, "  held-out loss %.4f", s.heldOutLoss()));
        } else {
            line.append("  held-out loss overflows float32");
        }
        if (Double.isFinite(s.heldOutAccuracy())) {
            line.append(String.format(Locale.ROOT, "  held-out acc %.4f", s.heldOutAccuracy()));
        }
        line.append(String.format(Locale.ROOT, "  lr %.3g  %.2f s  %.0f samples/s", s.lr(), s.seconds(),
                s.samplesPerSecond()));
        if (s.epochBadSteps() > 0 && !s.noStepApplied()) {
            line.append(String.format(Locale.ROOT, "  bad steps %d of %d", s.epochBadSteps(), s.batches()));
        }
        return line.toString();
    }
}
