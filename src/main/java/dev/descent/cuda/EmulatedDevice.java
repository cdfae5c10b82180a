package dev.descent.cuda;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU emulation of a CUDA device (native/emu): every kernel of kernels/cuda compiled as C++
 * and run with real per-block barriers and shared memory, behind the same {@link CudaDevice}
 * interface as a GPU. CI builds it with {@code make -C native emu}; the path comes from the
 * system property {@value #PROPERTY}. For testing only: it is slow.
 */
final class EmulatedDevice implements CudaDevice {
    /**
     * System property giving the emulation library's path (native/build/libdescent_cuda_emu.so).
     */
    public static final String PROPERTY = "descent.cuda.emulator";
    private static boolean loaded;

    /** Argument values with device pointers resolved to addresses; reused so launches allocate nothing. */
    private long[] resolved = new long[24];

    private EmulatedDevice() {}

    /**
     * The library path from {@value #PROPERTY}.
     *
     * @return the path, or null when unset
     */
    public static Path configuredLibrary() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isBlank() ? null : Path.of(p);
    }

    /**
     * Why the emulator cannot be used.
     *
     * @return the reason, or null when it can
     */
    public static String unavailableReason() {
        Path lib = configuredLibrary();
        if (lib == null) {
            return "-D" + PROPERTY + " is not set (build it with: make -C native emu)";
        }
        if (!Files.isRegularFile(lib)) {
            return lib + " does not exist (build it with: make -C native emu)";
        }
        return null;
    }

    /**
     * Loads the library (once per JVM) and opens an emulated device.
     *
     * @return the device
     * @throws IllegalStateException with {@link #unavailableReason()} when it cannot
     */
    public static synchronized EmulatedDevice open() {
        String reason = unavailableReason();
        if (reason != null) {
            throw new IllegalStateException("CUDA emulator unavailable: " + reason);
        }
        if (!loaded) {
            System.load(configuredLibrary().toAbsolutePath().toString());
            loaded = true;
        }
        return new EmulatedDevice();
    }

    @Override
    public String describe() {
        return "CPU emulation of the CUDA kernels (" + configuredLibrary().getFileName() + ")";
    }

    private static long address(DeviceMemory mem) {
        return (Long) mem.handle;
    }

    @Override
    public DeviceMemory malloc(long bytes) {
        return new DeviceMemory(bytes, nativeMalloc(bytes));
    }

    @Override
    public void free(DeviceMemory mem) {
        nativeFree(address(mem));
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceMemory dst, long dstFloatOffset, int count) {
        checkRange(dst, dstFloatOffset, count);
        nativeUpload(address(dst) + dstFloatOffset * 4, src, srcOffset, count);
    }

    @Override
    public void download(DeviceMemory src, long srcFloatOffset, float[] dst, int dstOffset, int count) {
        checkRange(src, srcFloatOffset, count);
        nativeDownload(address(src) + srcFloatOffset * 4, dst, dstOffset, count);
    }

    private static void checkRange(DeviceMemory mem, long floatOffset, int count) {
        if (floatOffset < 0 || count < 0 || (floatOffset + count) * 4 > mem.bytes) {
            throw new IndexOutOfBoundsException("copy of " + count + " floats at " + floatOffset
                    + " outside an allocation of " + mem.bytes + " bytes");
        }
    }

    @Override
    public void copy(DeviceMemory src, long srcFloatOffset, DeviceMemory dst, long dstFloatOffset, long count) {
        checkRange(src, srcFloatOffset, (int) count);
        checkRange(dst, dstFloatOffset, (int) count);
        nativeCopy(address(dst) + dstFloatOffset * 4, address(src) + srcFloatOffset * 4, count * 4);
    }

    @Override
    public int function(String name) {
        long handle = nativeFunction(name);
        if (handle == 0) {
            throw new IllegalStateException("kernel " + name + " is not in the emulation library");
        }
        return (int) handle;
    }

    @Override
    public synchronized void launch(int function, int gridX, int gridY, int blockX, KernelArgs args) {
        if (resolved.length < args.count) {
            resolved = new long[args.kinds.length];
        }
        for (int i = 0; i < args.count; i++) {
            resolved[i] = args.kinds[i] == KernelArgs.POINTER && args.memory[i] != null
                    ? address(args.memory[i]) + args.values[i] : args.values[i];
        }
        nativeLaunch(function, gridX, gridY, blockX, args.count, args.kinds, resolved);
    }

    @Override
    public void synchronize() {
        // launches run to completion before returning
    }

    /** The emulator allocates host memory outside the JVM heap, so the limit is the machine's free memory. */
    @Override
    public long freeBytes() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean hot ? hot.getFreeMemorySize() : Long.MAX_VALUE;
    }

    @Override
    public long bytesInUse() {
        return nativeBytesInUse();
    }

    /**
     * Every kernel the library contains, with how often each has been launched in this JVM.
     *
     * @return kernel name to launch count
     */
    public static java.util.Map<String, Long> launchCounts() {
        String[] names = nativeKernelNames();
        long[] counts = nativeLaunchCounts();
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        for (int i = 0; i < names.length; i++) {
            out.put(names[i], counts[i]);
        }
        return out;
    }

    @Override
    public void close() {
        // nothing held beyond the allocations, which the backend frees
    }

    private static native boolean nativeSetOrder(String order);

    /**
     * The order the emulator runs threads and blocks in from now on: {@code forward} (the default,
     * or the DESCENT_EMU_ORDER environment variable), {@code reverse}, or {@code random[:SEED]}.
     * A GPU promises no order, so every kernel must compute the same under each; running the
     * suites under all three exposes missing barriers that one order hides.
     *
     * @param order forward, reverse or random[:SEED]
     */
    public static void threadOrder(String order) {
        open().close();  // loads the library
        if (!nativeSetOrder(order)) {
            throw new IllegalArgumentException("thread order must be forward, reverse or random[:SEED], got '" + order + "'");
        }
    }

    private static native long nativeMalloc(long bytes);

    private static native void nativeFree(long address);

    private static native long nativeBytesInUse();

    private static native void nativeUpload(long dst, float[] src, int offset, int count);

    private static native void nativeDownload(long src, float[] dst, int offset, int count);

    private static native void nativeCopy(long dst, long src, long bytes);

    private static native long nativeFunction(String name);

    private static native void nativeLaunch(long function, int gridX, int gridY, int blockX, int count, int[] kinds,
                                            long[] values);

    private static native String[] nativeKernelNames();

    private static native long[] nativeLaunchCounts();
}
