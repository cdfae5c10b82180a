package dev.descent.internal.workload;

/**
 * One unit of backend work for benchmarks (the CLI's {@code bench} and the JMH suite share
 * these): {@link #run()} queues it, the caller synchronizes the backend before reading a
 * clock. Working sets rotate through enough copies (>= 256 MB) that caches cannot flatter
 * small sizes.
 */
public interface Workload extends AutoCloseable {

    /** Queues one unit of work on the backend. */
    void run();

    /** Bytes one run moves through memory (0 if not meaningful). */
    double bytesPerRun();

    /** Floating-point operations of one run (0 if not meaningful). */
    double flopsPerRun();

    /** Items one run processes (parameters, samples...). */
    double itemsPerRun();

    @Override
    void close();

    /** A workload from its body, its per-run measures, and what frees it. */
    static Workload of(Runnable body, double bytes, double flops, double items, Runnable release) {
        return new Workload() {
            @Override
            public void run() {
                body.run();
            }

            @Override
            public double bytesPerRun() {
                return bytes;
            }

            @Override
            public double flopsPerRun() {
                return flops;
            }

            @Override
            public double itemsPerRun() {
                return items;
            }

            @Override
            public void close() {
                release.run();
            }
        };
    }

    /** Copies of a {@code bytes}-sized working set needed to exceed 256 MB (at most {@code max}). */
    static int rotation(long bytes, int max) {
        return (int) Math.max(1, Math.min(max, (256L << 20) / Math.max(1, bytes)));
    }
}
