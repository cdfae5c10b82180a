package dev.descent.cpu;

/**
 * A per-thread float array that grows to the largest size asked of it and is then reused, for
 * the GEMM kernels' packing and row buffers: a call allocates only when it needs more room than
 * this thread's calls have needed so far.
 */
final class ScratchFloats {
    private final ThreadLocal<float[][]> slot = ThreadLocal.withInitial(() -> new float[1][0]);

    /** @return this thread's array, at least {@code length} long (contents left from earlier use) */
    float[] atLeast(int length) {
        float[][] holder = slot.get();
        if (holder[0].length < length) {
            holder[0] = new float[length];
        }
        return holder[0];
    }
}
