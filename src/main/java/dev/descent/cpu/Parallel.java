package dev.descent.cpu;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits index ranges over a fixed set of worker threads. The split depends only on the range
 * length, the grain and the thread count, never on timing, so reductions that combine per-chunk
 * partial sums in chunk order are deterministic run to run (resume-from-checkpoint relies on it).
 *
 * <p>The workers are descent's own threads, which wait for the next range spinning for a short
 * while before they park, and the caller spins for their results the same way. A training step
 * makes a dozen or more parallel calls a few microseconds to a millisecond apart; handing each to
 * a ForkJoinPool cost 45 microseconds on this project's 2-core VM (waking a parked thread goes
 * through the hypervisor), about as much as the work of a small GEMM.
 *
 * <p>The workers hold only the {@link Shared} state, never this object, so a Parallel that
 * nobody closed still becomes garbage, and a {@link Cleaner} then stops its threads.
 */
final class Parallel implements AutoCloseable {

    interface RangeBody {
        void run(int chunk, int from, int to);
    }

    /** How long a worker spins for the next range, and the caller for the workers, before parking. */
    private static final long SPIN_NANOS = 100_000;

    private static final Cleaner CLEANER = Cleaner.create();

    private final int threads;
    private final Worker[] workers;
    /** Held while a range runs; a call that finds it held (nested, or from another thread) runs its chunks itself. */
    private final AtomicBoolean busy = new AtomicBoolean();
    private final Shared shared = new Shared();
    private final Cleaner.Cleanable cleanable;

    /** What the caller and the workers share: the count of chunks still running, who waits for them, the first failure. */
    private static final class Shared {
        final AtomicInteger pending = new AtomicInteger();
        volatile Thread waiter;
        volatile Throwable failure;
        volatile boolean closed;

        void finished(Throwable t) {
            if (t != null) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) {
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
        }
    }

    Parallel(int threads) {
        this(threads, true);
    }

    /**
     * With {@code startWorkers} false the workers never run, and every chunk is taken by the
     * calling thread: tests use it to check that a call completes without them.
     */
    Parallel(int threads, boolean startWorkers) {
        this.threads = Math.max(1, threads);
        // The calling thread runs chunk 0 itself, so there is one worker fewer than threads.
        this.workers = new Worker[this.threads - 1];
        for (int w = 0; w < workers.length; w++) {
            workers[w] = new Worker(w + 1, shared);
            if (startWorkers) {
                workers[w].start();
            }
        }
        Shared sh = shared;
        Worker[] ws = workers;
        this.cleanable = CLEANER.register(this, () -> stop(sh, ws));
    }

    private static void stop(Shared shared, Worker[] workers) {
        shared.closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
    }

    int threads() {
        return threads;
    }

    /** Calls of {@link #forRange} that split their range into more than one chunk (tests read it). */
    private final java.util.concurrent.atomic.AtomicLong splits = new java.util.concurrent.atomic.AtomicLong();

    /** How many {@link #forRange} calls have split their range so far. */
    long splits() {
        return splits.get();
    }

    /** Number of chunks {@link #forRange} will use for {@code n} items at {@code minGrain} items per chunk. */
    int chunks(int n, int minGrain) {
        return Math.max(1, Math.min(threads, n / Math.max(1, minGrain)));
    }

    /** Runs body over [0, n) in {@link #chunks} contiguous pieces, each boundary a multiple of {@code align}. */
    void forRange(int n, int minGrain, int align, RangeBody body) {
        int chunks = chunks(n, minGrain);
        if (chunks == 1) {
            body.run(0, 0, n);
            return;
        }
        splits.incrementAndGet();
        int per = ((n + chunks - 1) / chunks + align - 1) / align * align;
        if (shared.closed || !busy.compareAndSet(false, true)) {
            for (int c = 0; c < chunks; c++) {
                body.run(c, Math.min(n, c * per), Math.min(n, c * per + per));
            }
            return;
        }
        try {
            shared.failure = null;
            shared.pending.set(chunks - 1);
            for (int c = 1; c < chunks; c++) {
                workers[c - 1].give(body, Math.min(n, c * per), Math.min(n, c * per + per));
            }
            Throwable mine = null;
            try {
                body.run(0, 0, Math.min(n, per));
            } catch (Throwable t) {
                mine = t;
            }
            // A worker that has not started its chunk yet (descheduled: a JIT compiler thread or
            // the vector warm-up wanted the core) loses it to the caller, which would otherwise
            // wait a scheduler time slice, milliseconds, for a few microseconds of work.
            for (int c = 1; c < chunks; c++) {
                workers[c - 1].runIfUnclaimed();
            }
            awaitWorkers();
            Throwable theirs = shared.failure;
            if (mine != null || theirs != null) {
                Throwable t = mine != null ? mine : theirs;
                if (t instanceof RuntimeException re) {
                    throw re;
                }
                if (t instanceof Error e) {
                    throw e;
                }
                throw new IllegalStateException(t);
            }
        } finally {
            busy.set(false);
        }
    }

    private void awaitWorkers() {
        long start = System.nanoTime();
        while (shared.pending.get() > 0) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
                continue;
            }
            shared.waiter = Thread.currentThread();
            if (shared.pending.get() > 0) {
                LockSupport.park(this);
            }
            shared.waiter = null;
        }
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    /**
     * One worker thread: runs the ranges it is given, one at a time. Each range is numbered, and
     * whoever claims the number first runs it: the worker, or the caller once its own chunk is
     * done (see {@link #forRange}).
     */
    private static final class Worker extends Thread {
        /** The number of the range on offer, or minus it once claimed (0: none yet). */
        private final AtomicInteger offer = new AtomicInteger();
        private volatile boolean parked;
        private final int chunk;
        private final Shared shared;
        private int number;
        // Written before the offer (a volatile write) and read after claiming it.
        private RangeBody body;
        private int from;
        private int to;

        Worker(int chunk, Shared shared) {
            super("descent-cpu-" + chunk);
            this.chunk = chunk;
            this.shared = shared;
            setDaemon(true);
        }

        void give(RangeBody b, int from, int to) {
            this.body = b;
            this.from = from;
            this.to = to;
            number = number == Integer.MAX_VALUE ? 1 : number + 1;
            offer.set(number); // publishes body, from and to
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        /** Claims the range on offer; false if there is none or someone else claimed it. */
        private boolean claim() {
            int n = offer.get();
            return n > 0 && offer.compareAndSet(n, -n);
        }

        /** The caller's side: runs this worker's range on the calling thread if the worker has not claimed it. */
        void runIfUnclaimed() {
            if (claim()) {
                runClaimed();
            }
        }

        private void runClaimed() {
            Throwable t = null;
            try {
                body.run(chunk, from, to);
            } catch (Throwable e) {
                t = e;
            }
            body = null;
            shared.finished(t);
        }

        @Override
        public void run() {
            while (!shared.closed) {
                if (awaitOffer() && claim()) {
                    runClaimed();
                }
            }
        }

        /** Spins for a range on offer, then parks; false when woken with none (closing). */
        private boolean awaitOffer() {
            long start = System.nanoTime();
            while (System.nanoTime() - start < SPIN_NANOS) {
                if (offer.get() > 0) {
                    return true;
                }
                Thread.onSpinWait();
            }
            parked = true;
            if (offer.get() <= 0 && !shared.closed) {
                LockSupport.park(this);
            }
            parked = false;
            return offer.get() > 0;
        }
    }
}
