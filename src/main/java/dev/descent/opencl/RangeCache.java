package dev.descent.opencl;

import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;

/**
 * Aparapi Ranges by shape, so launches in the training loop reuse them instead of allocating
 * one per launch: a training step repeats the same few shapes. Direct-mapped, 64 entries per
 * kind; a collision only costs a new Range.
 */
final class RangeCache {
    private static final int SLOTS = 64;
    private final OpenCLDevice device;
    private final long[] keys1d = new long[SLOTS];
    private final Range[] ranges1d = new Range[SLOTS];
    private final long[] keys2d = new long[SLOTS];
    private final Range[] ranges2d = new Range[SLOTS];

    RangeCache(OpenCLDevice device) {
        this.device = device;
    }

    private static int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> 58);  // top 6 bits of a Fibonacci hash
    }

    /** {@code global} work-items in groups of {@code local} (local <= 2^20). */
    Range range(int global, int local) {
        long key = (long) global << 20 | local;
        int s = slot(key);
        if (ranges1d[s] == null || keys1d[s] != key) {
            ranges1d[s] = device.createRange(global, local);
            keys1d[s] = key;
        }
        return ranges1d[s];
    }

    /** A 2-D range of {@code globalX x globalY} in {@code tile x tile} groups (one tile size per cache). */
    Range range2d(int globalX, int globalY, int tile) {
        long key = (long) globalX << 32 | globalY;
        int s = slot(key);
        if (ranges2d[s] == null || keys2d[s] != key) {
            ranges2d[s] = device.createRange2D(globalX, globalY, tile, tile);
            keys2d[s] = key;
        }
        return ranges2d[s];
    }
}
