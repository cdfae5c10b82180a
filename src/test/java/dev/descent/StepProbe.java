package dev.descent;

import java.lang.management.ManagementFactory;

/**
 * Runs a backend's training loop in steady state (gather a batch on the device, forward,
 * backward, update) and measures what the calling thread allocates on the Java heap meanwhile,
 * for the "nothing but launches inside the loop" checks of the device backends.
 */
public final class StepProbe {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private StepProbe() {}

    /**
     * {@code warmup} steps, then {@code afterWarmup} (to reset the caller's counters), then
     * three rounds of {@code steps} measured steps; returns the heap bytes allocated per step in the
     * least round.
     */
    /** Measured rounds of {@code steps} each: the caller's counters see ROUNDS * steps steps. */
    public static final int ROUNDS = 3;

    public static long heapBytesPerStep(Session s, DeviceDataset d, int warmup, int steps, Runnable afterWarmup) {
        for (int i = 0; i < warmup; i++) {
            trainOn(s, d, i);
        }
        afterWarmup.run();
        // The least of three rounds: garbage in the launch path shows in every round, while a
        // JIT transition that lands inside one (likelier on a loaded 2-core CI machine) does not.
        long least = Long.MAX_VALUE;
        for (int round = 0; round < ROUNDS; round++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < steps; i++) {
                trainOn(s, d, warmup + round * steps + i);
            }
            long after = THREADS.getCurrentThreadAllocatedBytes();
            long probeCost = THREADS.getCurrentThreadAllocatedBytes() - after;  // what one reading allocates
            least = Math.min(least, (after - before - probeCost) / steps);
        }
        return least;
    }

    private static void trainOn(Session s, DeviceDataset d, int step) {
        int rows = Math.min(16, d.rows());
        int from = (step * rows) % (d.rows() - rows + 1);
        s.trainBatch(d, from, rows, 0.02f, step);
    }
}
