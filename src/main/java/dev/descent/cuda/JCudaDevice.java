package dev.descent.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadDataJIT;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUjit_option;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import jcuda.driver.JITOptions;

/**
 * A real GPU through the JCuda driver API: the device's primary context (shared with any other
 * CUDA user in the process), every call checked ({@code setExceptionsEnabled(true)}), the PTX
 * modules embedded in the jar loaded once, and all work (launches, copies, fills, cuBLAS) on one
 * non-blocking stream of its own, where, with CUDA Graphs on, {@link StepGraphs} builds and
 * replays training steps. Nothing goes to the legacy default stream, so descent neither waits for
 * another CUDA user's legacy-stream work nor makes it wait, and such work cannot land in one of
 * descent's stream captures. One stream keeps every operation in issue order; a download waits
 * for the stream, as a host read must.
 */
final class JCudaDevice implements CudaDevice {
    /** The PTX files under dev/descent/cuda/ (built by native/Makefile from kernels/cuda). */
    static final List<String> MODULES = List.of("elementwise", "gemm", "optim", "reduce");

    private final CUdevice device;
    private final CUcontext context = new CUcontext();
    /** The thread this device last made its context current on (see makeCurrent). */
    private volatile Thread boundTo;
    private final List<CUmodule> modules = new ArrayList<>();
    /** Which module defines each kernel, read from the PTX's ".entry" lines. */
    private final Map<String, CUmodule> moduleOf = new HashMap<>();
    private final List<CUfunction> functions = new ArrayList<>();
    private final Map<String, Integer> functionIndex = new HashMap<>();
    private final String description;
    /** Where all of the device's work goes: a non-blocking stream of its own. */
    private final CUstream stream;
    /** Training steps as graphs; null when off. */
    private final StepGraphs graphs;
    /** Room for the JIT compiler's error log; a driver's rejection of PTX takes a line or two. */
    static final int JIT_LOG_BYTES = 4096;

    /** Kernel-argument cells reused by every launch. */
    private final KernelParams params = new KernelParams(24);
    /** A launch's arguments as the device sees them (pointers as addresses), reused. */
    private long[] resolved = new long[24];

    /** @param graphDriver the graph calls for StepGraphs; null: graphs off */
    private JCudaDevice(int ordinal, GraphDriver graphDriver) {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        int[] count = new int[1];
        cuDeviceGetCount(count);
        if (count[0] <= ordinal) {
            throw new IllegalStateException("CUDA: " + count[0] + " device(s), no device " + ordinal);
        }
        device = new CUdevice();
        cuDeviceGet(device, ordinal);
        cuDevicePrimaryCtxRetain(context, device);
        makeCurrent();
        for (String name : MODULES) {
            byte[] ptx = ptx(name);
            CUmodule module = loadModule(name, ptx);
            modules.add(module);
            for (String kernel : entries(ptx)) {
                moduleOf.put(kernel, module);
            }
        }
        boolean useGraphs = graphDriver != null;
        stream = new CUstream();
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        graphs = useGraphs ? new StepGraphs(this, stream, graphDriver) : null;
        description = describe(device) + (useGraphs ? "; CUDA Graphs on" : "");
    }

    /**
     * Why JCuda's native library could not load, once it failed: the JVM will not retry a class
     * whose initialisation failed, so later attempts would only see NoClassDefFoundError.
     */
    private static volatile String linkFailure;

    /**
     * Opens device {@code ordinal} without graphs; any failure is an IllegalStateException with a
     * one-line reason.
     *
     * @param ordinal the device's index
     * @return the device, with its context current on this thread
     */
    public static JCudaDevice open(int ordinal) {
        return open(ordinal, false);
    }

    /**
     * Opens device {@code ordinal}; any failure is an IllegalStateException with a one-line reason.
     *
     * @param ordinal the device's index
     * @param graphs whether training steps are built and replayed as CUDA Graphs
     * @return the device, with its context current on this thread
     */
    public static JCudaDevice open(int ordinal, boolean graphs) {
        return open(ordinal, graphs ? new GraphDriver() : null);
    }

    /**
     * Opens device {@code ordinal} with graphs built through {@code graphDriver} (tests give one
     * that refuses a call), or without graphs when it is null.
     */
    static JCudaDevice open(int ordinal, GraphDriver graphDriver) {
        if (linkFailure != null) {
            throw new IllegalStateException("CUDA: " + linkFailure);
        }
        try {
            return new JCudaDevice(ordinal, graphDriver);
        } catch (IllegalStateException e) {
            throw e;
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            linkFailure = linkReason(e);
            throw new IllegalStateException("CUDA: " + linkFailure, e);
        } catch (CudaException e) {
            throw new IllegalStateException("CUDA: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("CUDA: " + e, e);
        }
    }

    /** Turns JCuda's loader errors into the library that is actually missing. */
    static String linkReason(Throwable e) {
        String msg = dev.descent.internal.Check.rootMessage(e);
        return msg.contains("libcuda.so") ? "libcuda.so.1 not found (no NVIDIA driver installed)"
                : "native library failed to load: " + dev.descent.internal.Check.firstLine(msg);
    }

    /**
     * Loads one PTX module (a NUL-terminated text) into the current context, asking the driver's
     * JIT compiler for its error log: when the driver rejects the module, the exception says why
     * in the compiler's words, not only with an error code.
     */
    static CUmodule loadModule(String name, byte[] ptx) {
        CUmodule module = new CUmodule();
        JITOptions jit = new JITOptions();
        jit.putBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, new byte[JIT_LOG_BYTES]);
        jit.putInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, JIT_LOG_BYTES);
        // Unlike the other calls, JCuda returns this one's status without turning an error into
        // a CudaException (EmulatedDriverTest.aRejectedModuleSaysWhyInTheJitLog found that out).
        int status = cuModuleLoadDataJIT(module, Pointer.to(ptx), jit);
        if (status != CUresult.CUDA_SUCCESS) {
            String log = jitLog(jit);
            throw new IllegalStateException("CUDA: the driver rejected " + name + ".ptx (PTX ISA 8.0): "
                    + CUresult.stringFor(status) + (log.isEmpty() ? "" : "; JIT log: " + log)
                    + "; descent needs a CUDA 12.0 or newer driver (>= 525)");
        }
        return module;
    }

    /** The JIT error log the driver wrote: as many bytes as it reports, up to the first NUL. */
    private static String jitLog(JITOptions jit) {
        byte[] bytes = jit.getBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER);
        int written = Math.min(Math.max(jit.getInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES), 0), bytes.length);
        int end = 0;
        while (end < written && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, java.nio.charset.StandardCharsets.UTF_8).trim();
    }

    private static byte[] ptx(String name) {
        try (InputStream in = JCudaDevice.class.getResourceAsStream("/dev/descent/cuda/" + name + ".ptx")) {
            if (in == null) {
                throw new IllegalStateException("CUDA: " + name + ".ptx is missing from the jar");
            }
            byte[] text = in.readAllBytes();
            byte[] terminated = java.util.Arrays.copyOf(text, text.length + 1);  // the driver wants a C string
            return terminated;
        } catch (IOException e) {
            throw new IllegalStateException("CUDA: cannot read " + name + ".ptx: " + e.getMessage(), e);
        }
    }

    /**
     * The kernels a PTX module defines, so that a kernel is looked up in its own module only:
     * probing every module would make the driver report CUDA_ERROR_NOT_FOUND for the others,
     * which compute-sanitizer counts as errors and which hides real ones in its report.
     */
    static List<String> entries(byte[] ptx) {
        List<String> names = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\.entry\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(")
                .matcher(new String(ptx, java.nio.charset.StandardCharsets.US_ASCII));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static String describe(CUdevice device) {
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int[] major = new int[1], minor = new int[1], driver = new int[1];
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        cuDriverGetVersion(driver);
        long[] free = new long[1], total = new long[1];
        cuMemGetInfo(free, total);
        String model = new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
        return String.format("%s, compute %d.%d, %.1f GiB, CUDA driver %d.%d", model, major[0], minor[0],
                total[0] / (double) (1L << 30), driver[0] / 1000, driver[0] % 1000 / 10);
    }

    @Override
    public String describe() {
        return description;
    }

    /**
     * A CUDA context is current per thread, and the driver rejects calls from a thread where it
     * is not (CUDA_ERROR_INVALID_CONTEXT). Every entry point makes it current when the calling
     * thread differs from the last one; setting it again on a thread that had it is harmless, so
     * one field is enough for threads that take turns (backends are used by one thread at a time).
     */
    @Override
    public void makeCurrent() {
        Thread caller = Thread.currentThread();
        if (boundTo != caller) {
            cuCtxSetCurrent(context);
            boundTo = caller;
        }
    }

    /** A CUdeviceptr that can tell its raw device address (JCuda keeps it in a protected field). */
    private static final class AddressedPointer extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    /** The device address {@code floatOffset} floats into {@code mem}. */
    static long address(DeviceMemory mem, long floatOffset) {
        return ptr(mem).address() + floatOffset * 4;
    }

    private static AddressedPointer ptr(DeviceMemory mem) {
        return (AddressedPointer) mem.handle;
    }

    @Override
    public DeviceMemory malloc(long bytes) {
        enter();
        try {
            makeCurrent();
            interruptStep();
            AddressedPointer p = new AddressedPointer();
            cuMemAlloc(p, Math.max(4, bytes));
            cuMemsetD32Async(p, 0, Math.max(1, bytes / 4), stream);
            return new DeviceMemory(bytes, p);
        } finally {
            leave();
        }
    }

    @Override
    public void free(DeviceMemory mem) {
        enter();
        try {
            makeCurrent();
            interruptStep();
            cuStreamSynchronize(stream);  // work still queued may use it
            cuMemFree(ptr(mem));
        } finally {
            leave();
        }
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceMemory dst, long dstFloatOffset, int count) {
        enter();
        try {
            makeCurrent();
            interruptStep();
            // From pageable memory (a Java array) the driver has taken the data when the call
            // returns; the copy itself is ordered after the stream's earlier work.
            cuMemcpyHtoDAsync(ptr(dst).withByteOffset(dstFloatOffset * 4), Pointer.to(src).withByteOffset(srcOffset * 4L),
                    count * 4L, stream);
        } finally {
            leave();
        }
    }

    @Override
    public void download(DeviceMemory src, long srcFloatOffset, float[] dst, int dstOffset, int count) {
        enter();
        try {
            makeCurrent();
            interruptStep();
            cuMemcpyDtoHAsync(Pointer.to(dst).withByteOffset(dstOffset * 4L), ptr(src).withByteOffset(srcFloatOffset * 4),
                    count * 4L, stream);
            cuStreamSynchronize(stream);  // the data is in dst when this returns
        } finally {
            leave();
        }
    }

    @Override
    public void copy(DeviceMemory src, long srcFloatOffset, DeviceMemory dst, long dstFloatOffset, long count) {
        enter();
        try {
            makeCurrent();
            if (graphs != null && graphs.inStep()) {
                long[] signature = {COPY, address(src, srcFloatOffset), address(dst, dstFloatOffset), count};
                if (graphs.replayed(signature)) {
                    return;
                }
                if (graphs.building()) {
                    graphs.addForeign(signature, () -> copyNow(src, srcFloatOffset, dst, dstFloatOffset, count));
                    return;
                }
            }
            copyNow(src, srcFloatOffset, dst, dstFloatOffset, count);
        } finally {
            leave();
        }
    }

    /** The first word of a device copy's signature in a graph (see StepGraphs.addForeign). */
    static final long COPY = 1;

    private void copyNow(DeviceMemory src, long srcFloatOffset, DeviceMemory dst, long dstFloatOffset, long count) {
        cuMemcpyDtoDAsync(ptr(dst).withByteOffset(dstFloatOffset * 4), ptr(src).withByteOffset(srcFloatOffset * 4),
                count * 4, stream);
    }

    /**
     * With graphs on, a thread that has a step open holds {@link StepGraphs#lock} from the step's
     * beginning to its end, and every call here takes it too: a call from another thread (a
     * session being created or closed beside a training one, a data set uploaded) waits for the
     * step to end instead of ending its graph from outside or landing in one of its captures.
     * The step's own thread re-enters freely.
     */
    void enter() {
        if (graphs != null) {
            graphs.lock.lock();
        }
    }

    void leave() {
        if (graphs != null) {
            graphs.lock.unlock();
        }
    }

    /** Work that needs the host ends a graph-built step's graph first (see StepGraphs). */
    private void interruptStep() {
        if (graphs != null) {
            graphs.interrupt();
        }
    }

    /**
     * The training-step graphs, or null when they are off.
     *
     * @return the graphs
     */
    @Override
    public StepGraphs graphs() {
        return graphs;
    }

    /** The device's stream, where all its work goes (cuBLAS's too). */
    CUstream stream() {
        return stream;
    }

    @Override
    public synchronized int function(String name) {
        makeCurrent();
        Integer known = functionIndex.get(name);
        if (known != null) {
            return known;
        }
        CUmodule module = moduleOf.get(name);
        if (module == null) {
            throw new IllegalStateException("kernel " + name + " is in none of the PTX modules");
        }
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, name);
        functions.add(f);
        functionIndex.put(name, functions.size() - 1);
        return functions.size() - 1;
    }

    /**
     * Launches without allocating (see {@link #pack}), or hands the launch to the step graphs when
     * a step is open. Device pointers are passed as their raw address plus the byte offset, which
     * is what a pointer parameter holds on the device.
     */
    @Override
    public synchronized void launch(int function, int gridX, int gridY, int blockX, KernelArgs args) {
        enter();
        try {
            makeCurrent();
            if (resolved.length < args.count) {
                resolved = new long[args.count];
            }
            for (int i = 0; i < args.count; i++) {
                long v = args.values[i];
                boolean pointer = args.kinds[i] == KernelArgs.POINTER;
                resolved[i] = !pointer ? v : args.memory[i] == null ? 0L : ptr(args.memory[i]).address() + v;
            }
            if (graphs != null && graphs.launch(function, gridX, gridY, blockX, args.kinds, resolved, args.count)) {
                return;
            }
            launchNow(function, gridX, gridY, blockX, args.kinds, resolved, args.count);
        } finally {
            leave();
        }
    }

    /** Launches now, on the device's stream; {@code values} as {@link #launch} resolves them. */
    void launchNow(int function, int gridX, int gridY, int blockX, int[] kinds, long[] values, int count) {
        cuLaunchKernel(functions.get(function), gridX, gridY, 1, blockX, 1, 1, 0, stream,
                pack(kinds, values, count), null);
    }

    /** The driver's kernelParams for these arguments (see {@link KernelParams}). */
    Pointer pack(int[] kinds, long[] values, int count) {
        return params.pack(kinds, values, count);
    }

    /** The driver's handle of a kernel from {@link #function}. */
    CUfunction cuFunction(int function) {
        return functions.get(function);
    }

    @Override
    public void synchronize() {
        enter();
        try {
            makeCurrent();
            interruptStep();
            cuStreamSynchronize(stream);  // all of descent's work; another CUDA user's is not waited for
        } finally {
            leave();
        }
    }

    @Override
    public long freeBytes() {
        makeCurrent();
        long[] free = new long[1], total = new long[1];
        cuMemGetInfo(free, total);
        return free[0];
    }

    @Override
    public long bytesInUse() {
        makeCurrent();
        long[] free = new long[1], total = new long[1];
        cuMemGetInfo(free, total);
        return total[0] - free[0];
    }

    @Override
    public void close() {
        makeCurrent();
        cuStreamSynchronize(stream);  // the last step's graph may still be running
        if (graphs != null) {
            graphs.close();
        }
        cuStreamDestroy(stream);
        for (CUmodule m : modules) {
            cuModuleUnload(m);
        }
        modules.clear();
        cuDevicePrimaryCtxRelease(device);
    }
}
