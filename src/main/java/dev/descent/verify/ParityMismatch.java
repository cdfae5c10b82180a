package dev.descent.verify;

/**
 * A comparison of the parity harness that came out over its tolerance, thrown by a
 * {@link ParityLog#failFast()} log. An {@link AssertionError}, so a test framework reports it
 * as the failed check it is, with the backend, the op, the shape and the error in its message.
 */
public final class ParityMismatch extends AssertionError {
    private static final long serialVersionUID = 1L;

    /**
     * A mismatch with its description.
     *
     * @param message what was compared, on which backend, and by how much it missed
     */
    public ParityMismatch(String message) {
        super(message);
    }
}
