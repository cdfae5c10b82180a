package dev.descent;

import java.util.List;

/**
 * The outcome of {@link Trainer#fit}: every epoch's statistics and, when the non-finite guard
 * halted training, a message naming the epoch and batch where the bad streak began.
 */
public record TrainingReport(List<EpochStats> epochs, boolean halted, String haltMessage) {

    /**
     * The last epoch trained.
     *
     * @return its statistics
     */
    public EpochStats last() {
        return epochs.isEmpty() ? null : epochs.get(epochs.size() - 1);
    }
}
