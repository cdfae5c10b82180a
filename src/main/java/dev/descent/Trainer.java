package dev.descent;

import dev.descent.internal.Check;
import java.util.ArrayList;
import java.util.List;

/**
 * Epoch/batch loop over a {@link Session}. The batch size chooses the mode: the whole training
 * set (full-batch gradient descent), any size in between (mini-batch), or 1 (stochastic). Each
 * epoch draws a new permutation from (seed, epoch) alone, so a run resumed at an epoch boundary
 * continues exactly as the uninterrupted run would. The host reads the device's control block
 * every {@link #CHECK_EVERY} batches and at each epoch's end, never per step.
 */
public final class Trainer {

    /** Batches between reads of the control block to notice a halted run. */
    public static final int CHECK_EVERY = 64;

    /**
     * How to train; the learning rate is not here: the session's optimizer spec owns it, and the
     * schedule scales that base (so {@code Adam.adam(3e-4)} trains at 3e-4).
     *
     * @param epochs    passes over the training set
     * @param batchSize rows per step; values above the training set's size mean full batch
     * @param seed      the shuffling order's seed (the session's seed drew the initial weights)
     * @param schedule  how the learning rate changes over the run
     * @param shuffle   draw a new order every epoch (otherwise stored order)
     */
    public record Config(int epochs, int batchSize, long seed, Schedule schedule, boolean shuffle) {
        /**
         * Checks the values: at least one epoch and one row per step, a schedule.
         *
         * @param epochs passes over the training set
         * @param batchSize rows per step
         * @param seed the shuffling order's seed
         * @param schedule how the learning rate changes
         * @param shuffle draw a new order every epoch
         */
        public Config {
            Check.atLeast("epochs", epochs, 1);
            Check.atLeast("batchSize", batchSize, 1);
            if (schedule == null) {
                throw new IllegalArgumentException("schedule must not be null");
            }
        }
    }

    private final Session session;
    private final Config config;

    /**
     * A trainer for one session.
     *
     * @param session the session trained (its optimizer gives the base learning rate)
     * @param config epochs, batch size, shuffling and schedule
     */
    public Trainer(Session session, Config config) {
        this.session = session;
        this.config = config;
    }

    /**
     * Trains from scratch (epoch 0).
     *
     * @param train the uploaded training set
     * @param heldOut evaluated after every epoch, or null
     * @param listener told about every epoch (and may stop the run), or null
     * @return per-epoch loss and accuracy, and why the run stopped
     */
    public TrainingReport fit(DeviceDataset train, DeviceDataset heldOut, TrainingListener listener) {
        return fit(train, heldOut, listener, 0);
    }

    /**
     * Trains epochs {@code [startEpoch, epochs)}; startEpoch &gt; 0 continues a run whose
     * session state came from a checkpoint written after epoch {@code startEpoch}.
     *
     * @param train the uploaded training set
     * @param heldOut evaluated after every epoch, or null
     * @param listener told about every epoch (and may stop the run), or null
     * @param startEpoch the first epoch to train
     * @return the epochs trained in this call
     */
    public TrainingReport fit(DeviceDataset train, DeviceDataset heldOut, TrainingListener listener, int startEpoch) {
        return fit(train, heldOut, listener, startEpoch, config.epochs());
    }

    /**
     * Trains epochs {@code [startEpoch, endEpoch)} of a run planned for {@code config.epochs()}
     * epochs: the schedule always spans the whole plan, so stopping at endEpoch and resuming
     * later from a checkpoint gives the same run as one uninterrupted call.
     *
     * @param train the uploaded training set
     * @param heldOut evaluated after every epoch, or null
     * @param listener told about every epoch (and may stop the run), or null
     * @param startEpoch the first epoch to train
     * @param endEpoch one past the last epoch to train
     * @return the epochs trained in this call
     */
    public TrainingReport fit(DeviceDataset train, DeviceDataset heldOut, TrainingListener listener, int startEpoch,
                              int endEpoch) {
        if (endEpoch < startEpoch || endEpoch > config.epochs()) {
            throw new IllegalArgumentException("endEpoch must be in [" + startEpoch + ", " + config.epochs() + "], got "
                    + endEpoch);
        }
        int n = train.rows();
        int batch = Math.min(config.batchSize(), n);
        if (batch > session.maxBatch()) {
            throw new IllegalArgumentException("batchSize " + batch + " exceeds the session's maxBatch "
                    + session.maxBatch());
        }
        if (startEpoch < 0 || startEpoch > config.epochs()) {
            throw new IllegalArgumentException("startEpoch must be in [0, " + config.epochs() + "], got " + startEpoch);
        }
        double baseLr = session.optimizer().lr();
        TrainingListener l = listener == null ? TrainingListener.NONE : listener;
        int iters = (n + batch - 1) / batch;
        List<EpochStats> epochs = new ArrayList<>();
        // Bad steps before the epoch: read once here, then taken from each epoch's closing read.
        long badBefore = (long) session.control()[Control.BAD_TOTAL];
        long badAtStart = badBefore;
        long attempted = 0;
        for (int e = startEpoch; e < endEpoch; e++) {
            long t0 = System.nanoTime();
            session.resetEpochSums();
            if (config.shuffle()) {
                train.shuffle(epochSeed(config.seed(), e));
            } else {
                train.resetOrder();
            }
            double lr = baseLr;
            for (int b = 0; b < iters; b++) {
                int from = b * batch;
                int rows = Math.min(batch, n - from);
                long iteration = (long) e * iters + b;
                lr = baseLr * config.schedule().factor(iteration, iters, config.epochs());
                session.trainBatch(train, from, rows, (float) lr, iteration);
                attempted++;
                l.onBatch(e + 1, b + 1, iters);
                if ((b + 1) % CHECK_EVERY == 0 && session.control()[Control.HALTED] != 0) {
                    break;
                }
            }
            float[] c = session.control();
            if (c[Control.HALTED] != 0) {
                return new TrainingReport(List.copyOf(epochs), true, haltMessage(c, iters));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Evaluation held = heldOut == null ? null : session.evaluate(heldOut);
            double samples = c[Control.SAMPLE_SUM];
            boolean applied = samples > 0;
            EpochStats stats = new EpochStats(e + 1, applied ? c[Control.LOSS_SUM] / samples : Double.NaN,
                    applied ? c[Control.CORRECT_SUM] / samples : Double.NaN,
                    held == null ? Double.NaN : held.loss(), held == null ? Double.NaN : held.accuracy(),
                    seconds, n / seconds, (long) c[Control.BAD_TOTAL], lr, (long) c[Control.STEP],
                    (long) c[Control.BAD_TOTAL] - badBefore, iters);
            badBefore = (long) c[Control.BAD_TOTAL];
            epochs.add(stats);
            l.onEpoch(stats);
            if (l.stopRequested()) {
                break;
            }
        }
        // A run whose every step was bad trained nothing, however patient the guard: a halt, not a result.
        long bad = (long) session.control()[Control.BAD_TOTAL] - badAtStart;
        if (attempted > 0 && bad >= attempted) {
            return new TrainingReport(List.copyOf(epochs), true, noStepMessage(session.control(), attempted));
        }
        return new TrainingReport(List.copyOf(epochs), false, null);
    }

    /** Says that no step of the run succeeded, of which kinds they failed, and what the parameters are. */
    static String noStepMessage(float[] c, long attempted) {
        long overflow = (long) c[Control.OVERFLOW_TOTAL];
        return String.format("training halted: none of this run's %d steps succeeded (every one had a non-finite loss"
                + " or gradient norm%s), so nothing was trained. The parameters are finite: they are those after step"
                + " %d (try a lower --lr or --clip-norm)", attempted,
                overflow > 0 ? ", or an update that would have made parameters or optimizer state non-finite" : "",
                (long) c[Control.STEP]);
    }

    /** The shuffle seed of one epoch: a fixed mix of the run's seed and the epoch index. */
    static long epochSeed(long seed, int epoch) {
        return seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L;
    }

    /** Says what halted the run and exactly what the parameters left behind are. */
    static String haltMessage(float[] c, int iters) {
        long start = (long) c[Control.BAD_STREAK_START];
        long bad = (long) c[Control.BAD_TOTAL];
        long overflow = (long) c[Control.OVERFLOW_TOTAL];
        StringBuilder m = new StringBuilder(String.format(
                "training halted: %d consecutive bad steps, starting at epoch %d batch %d of %d. Of this run's %d bad steps,"
                        + " %d had a non-finite loss or gradient norm and were skipped",
                (long) c[Control.BAD_STREAK], start / iters + 1, start % iters + 1, iters, bad, bad - overflow));
        if (overflow > 0) {
            m.append(String.format(", and %d had an update that would have made parameters or optimizer state"
                    + " non-finite, so it changed only the elements that stayed finite", overflow));
        }
        m.append(String.format(". The parameters are finite: they are those after step %d, and no later step changed"
                + " them (try a lower --lr or --clip-norm)", (long) c[Control.STEP]));
        return m.toString();
    }
}
