package dev.descent.opencl;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How large the OpenCL backend's heap array must be for the garbage collector never to move it.
 *
 * <p>Aparapi ties a kernel's array to OpenCL memory by the array's address: on a CPU device the
 * buffer is the array itself ({@code CL_MEM_USE_HOST_PTR}), elsewhere a device copy made from it.
 * It looks for a move only when a kernel launches. An explicit {@code get} or {@code put} after
 * the collector moved the array therefore goes through the old address: on PoCL, a young
 * collection between a launch and a download gave wrong downloads and, now and then, a JVM
 * crash (the old address held other objects by then); on a discrete GPU, a launch after a move
 * remakes the device copy from the host's older data. A heap array that never moves has none of
 * this. G1 never moves a humongous object (over half a region), so under G1 the array is always
 * made that large; the other collectors move large arrays too, so the backend does not open
 * under them.
 */
final class ImmovableHeap {
    /** The largest G1 region (JDK 17), assumed where the region size cannot be read. */
    private static final long LARGEST_REGION = 32L << 20;

    private ImmovableHeap() {}

    /** Why the heap array could move in this JVM, or null under G1. */
    static String collectorProblem() {
        List<String> names = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName).collect(Collectors.toList());
        if (names.stream().anyMatch(n -> n.startsWith("G1 "))) {
            return null;
        }
        return "the OpenCL backend needs the G1 garbage collector (the JVM's default on machines with 2 or more"
                + " CPUs and 1792 MB): Aparapi addresses the heap array directly between launches, and this JVM's"
                + " collectors (" + String.join(", ", names) + ") may move it; start Java with -XX:+UseG1GC";
    }

    /** Floats in the smallest array G1 never moves: over half a region. */
    static int minimumFloats() {
        long region = regionBytes();
        return (int) (region / 2 / Float.BYTES + 1);
    }

    private static long regionBytes() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean hotspot =
                    ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return Long.parseLong(hotspot.getVMOption("G1HeapRegionSize").getValue());
        } catch (RuntimeException | LinkageError unreadable) {
            // jdk.management absent (a trimmed runtime), or no such option: assume the largest.
            return LARGEST_REGION;
        }
    }
}
