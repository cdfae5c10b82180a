package dev.descent.internal;

/**
 * Open/closed state of a resource (backend, session, parameter set, device dataset): use after
 * close is an {@link IllegalStateException} naming the resource, never a native crash or a
 * write into memory that now belongs to someone else; a second close is a no-op. Internal to
 * descent's own classes.
 */
public final class Lifecycle {
    private final String what;
    private volatile boolean closed;

    public Lifecycle(String what) {
        this.what = what;
    }

    /** Throws if closed. */
    public void check() {
        if (closed) {
            throw new IllegalStateException(what + " is closed");
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Marks the resource closed; true only for the first call, so the caller frees once. */
    public synchronized boolean close() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }
}
