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

    public EarlyStopping(Session session, int patience) {
        Check.atLeast("patience", patience, 1);
        this.session = session;
        this.patience = patience;
    }

    @Override
    public void onEpoch(EpochStats stats) {
        observe(stats);
    }

    /** Records one epoch: a lower held-out loss than any before is the new best. */
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

    public boolean improved() {
        return improved;
    }

    /** The best epoch so far (1-based), 0 before any. */
    public int bestEpoch() {
        return bestEpoch;
    }

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
