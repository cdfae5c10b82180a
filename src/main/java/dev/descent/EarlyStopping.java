package dev.descent;

import dev.descent.internal.Check;

/**
 * Stops training when the held-out (validation) loss has not improved for {@code patience}
 * epochs, and remembers the best epoch's parameters so they can be put back. Use it as the
 * listener, or call {@link #observe} from one; {@link #improved()} says whether the epoch just
 * seen is the new best (the moment to write a checkpoint that should hold the best model).
 */
public final class EarlyStopping implements TrainingListener {
    private final Session session;
    private final int patience;
    private double bestLoss = Double.POSITIVE_INFINITY;
    private int bestEpoch;
    private float[] bestParameters;
    private boolean improved;
    private int sinceBest;

    /**
     * Watches a session's held-out loss.
     *
     * @param session the session whose parameters are remembered
     * @param patience epochs without improvement before a stop is requested, at least 1
     */
    public EarlyStopping(Session session, int patience) {
        Check.atLeast("patience", patience, 1);
        this.session = session;
        this.patience = patience;
    }

    @Override
    public void onEpoch(EpochStats stats) {
        observe(stats);
    }

    /**
     * Records one epoch: a lower held-out loss than any before is the new best.
     *
     * @param stats the epoch, with a held-out loss
     */
    public void observe(EpochStats stats) {
        if (Double.isNaN(stats.heldOutLoss())) {
            throw new IllegalStateException("early stopping needs a held-out set: epoch " + stats.epoch()
                    + " has no held-out loss");
        }
        improved = stats.heldOutLoss() < bestLoss;
        if (improved) {
            bestLoss = stats.heldOutLoss();
            bestEpoch = stats.epoch();
            bestParameters = session.parameters();  // once per improving epoch, outside the step loop
            sinceBest = 0;
        } else {
            sinceBest++;
        }
    }

    @Override
    public boolean stopRequested() {
        return sinceBest >= patience;
    }

    /**
     * Whether the epoch just observed is the new best.
     *
     * @return true when its held-out loss beat every earlier one
     */
    public boolean improved() {
        return improved;
    }

    /**
     * The best epoch so far.
     *
     * @return 1-based; 0 before any
     */
    public int bestEpoch() {
        return bestEpoch;
    }

    /**
     * The best held-out loss so far.
     *
     * @return the loss; infinity before any epoch
     */
    public double bestLoss() {
        return bestLoss;
    }

    /** Puts the best epoch's parameters back into the session (optimizer state is left as it is). */
    public void restoreBest() {
        if (bestParameters != null) {
            session.setParameters(bestParameters);
        }
    }
}
