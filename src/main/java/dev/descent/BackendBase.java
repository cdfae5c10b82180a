package dev.descent;

import dev.descent.internal.Lifecycle;
import dev.descent.internal.Memory;

/**
 * What every backend shares about its lifetime: one {@link Lifecycle}, so use after close
 * throws and a second close is a no-op, and, for backends whose buffers live on the Java heap,
 * the JVM's free heap as {@link #availableBytes()}. Backends call {@code life.check()} at the
 * top of each operation and {@code life.close()} to free once.
 */
public abstract class BackendBase implements Backend {
    /**
     * Open/closed state: subclasses call {@code life.check()} first in every operation.
     */
    protected final Lifecycle life;
    private final boolean onJavaHeap;

    /**
     * @param name       the backend's name, for "cpu backend is closed"
     * @param onJavaHeap whether its buffers (or their host mirrors) are Java arrays
     */
    protected BackendBase(String name, boolean onJavaHeap) {
        this.life = new Lifecycle(name + " backend");
        this.onJavaHeap = onJavaHeap;
    }

    @Override
    public void ensureOpen() {
        life.check();
    }

    @Override
    public boolean isClosed() {
        return life.isClosed();
    }

    @Override
    public long availableBytes() {
        return onJavaHeap ? Memory.jvmAvailableBytes() : Long.MAX_VALUE;
    }
}
