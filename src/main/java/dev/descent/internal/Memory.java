package dev.descent.internal;

import dev.descent.Backend;
/**
 * Checks a request against what the backend can give before anything is allocated, so a model
 * or dataset too large for the machine is one clear error (naming what asked, the size and the
 * limit), never an OutOfMemoryError halfway through setting up.
 */
public final class Memory {
    private Memory() {}

    /** Bytes the JVM can still allocate on its heap: its maximum less what is in use now. */
    public static long jvmAvailableBytes() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /** Throws IllegalArgumentException when {@code elements} elements of {@code backend} do not fit. */
    public static void require(Backend backend, long elements, String what) {
        long bytes = elements > Long.MAX_VALUE / backend.elementBytes() ? Long.MAX_VALUE
                : elements * backend.elementBytes();
        long limit = backend.availableBytes();
        if (bytes > limit) {
            throw new IllegalArgumentException(what + " needs " + mib(bytes) + " on the " + backend.name()
                    + " backend, which has " + mib(limit) + " available (use a smaller model or batch; the cpu,"
                    + " reference and opencl backends keep buffers on the JVM heap, which -Xmx raises)");
        }
    }

    /** Throws IllegalArgumentException when {@code bytes} more bytes do not fit on the JVM heap. */
    public static void requireHeap(long bytes, String what) {
        long limit = jvmAvailableBytes();
        if (bytes > limit) {
            throw new IllegalArgumentException(what + " needs " + mib(bytes) + " of JVM heap, " + mib(limit)
                    + " is available (raise it with -Xmx)");
        }
    }

    static String mib(long bytes) {
        return bytes == Long.MAX_VALUE ? "more than 8 EiB" : String.format(java.util.Locale.ROOT, "%,d MiB", (bytes + (1 << 20) - 1) >> 20);
    }
}
