package dev.descent.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits index ranges over a fixed set of worker threads. The split depends only on the range
 * length, the grain and the thread count, never on timing, so reductions that combine per-chunk
 * partial sums in chunk order are deterministic run to run (resume-from-checkpoint relies on it).
 */
final class Parallel implements AutoCloseable {

    interface RangeBody {
        void run(int chunk, int from, int to);
    }

    private final int threads;
    private final ForkJoinPool pool;

    Parallel(int threads) {
        this.threads = Math.max(1, threads);
        // The calling thread runs chunk 0 itself, so the pool needs one worker fewer.
        this.pool = this.threads > 1 ? new ForkJoinPool(this.threads - 1) : null;
    }

    int threads() {
        return threads;
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
        int per = ((n + chunks - 1) / chunks + align - 1) / align * align;
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks];
        for (int c = 1; c < chunks; c++) {
            int from = Math.min(n, c * per);
            int to = Math.min(n, from + per);
            int chunk = c;
            tasks[c] = pool.submit(() -> body.run(chunk, from, to));
        }
        body.run(0, 0, Math.min(n, per));
        for (int c = 1; c < chunks; c++) {
            tasks[c].join();
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
