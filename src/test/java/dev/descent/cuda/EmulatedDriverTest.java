package dev.descent.cuda;

import static jcuda.driver.JCudaDriver.cuGraphCreate;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUgraphNode;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The GPU code path itself, JCuda's native binding and {@link JCudaDevice} unmodified, on the
 * emulated driver (native/emu/emulated_driver.cpp, a libcuda.so.1 that runs the kernels on the
 * CPU). {@link CudaEmulationTest} covers the backend through {@link EmulatedDevice}; only this
 * suite reaches module loading from the jar's PTX, JCuda's kernel-argument marshalling, device
 * pointers with byte offsets and the cuBLAS fallback without a GPU. The driver also checks each
 * PTX entry's parameter list against the kernel's C++ signature, and refuses copies and pointer
 * arguments outside live allocations.
 *
 * <p>Runs in the surefire execution {@code jcuda-on-emulated-driver}, which puts the driver on
 * LD_LIBRARY_PATH (it must be there before the JVM starts) and sets {@value #PROPERTY}.
 */
@Tag("emulated-driver")
class EmulatedDriverTest extends CudaSuite {
    /** What the emulated driver answers to cuDeviceGetName. */
    static final String DEVICE_NAME = "descent emulated driver (CPU)";
    static final String PROPERTY = "descent.cuda.emulated.driver";
    private static final String LIBRARY = System.getProperty(PROPERTY);

    @Override
    protected String prepare() {
        return driverUnavailable();
    }

    /**
     * Why the emulated-driver suites cannot run here, or null when they can (JCuda bound to the
     * emulated libcuda.so.1); in CI a missing driver build is a failure, not a reason.
     */
    static String driverUnavailable() {
        if (LIBRARY == null) {
            return "-D" + PROPERTY + " unset (mvn test runs them in the jcuda-on-emulated-driver execution)";
        }
        String missing = notBuilt("emulated driver", LIBRARY, "g++", "driver");
        if (missing != null) {
            return missing;
        }
        String realCublas = realCublasHere();
        if (realCublas != null) {
            return realCublas;
        }
        String description;
        try (CudaBackend probe = CudaBackend.open()) {
            description = probe.describe();
        }
        System.out.println("[emulated driver] " + description);
        assertTrue(description.startsWith(DEVICE_NAME), "JCuda bound to another libcuda.so.1 (LD_LIBRARY_PATH="
                + System.getenv("LD_LIBRARY_PATH") + "): " + description);
        return null;
    }

    /**
     * On a GPU host with CUDA's own cuBLAS on the loader's path (outside LD_LIBRARY_PATH, which
     * here holds only the emulated driver), JCublas would bind that real cuBLAS to the emulated
     * driver, and this suite's premise (no cuBLAS, descent's own SGEMM) does not hold: the GPU
     * suites cover such a host. Null when no real cuBLAS is found.
     */
    static String realCublasHere() {
        for (String name : new String[] {"libcublas.so.12", "libcublas.so.13"}) {
            if (CublasLibrary.findable(name, null, java.nio.file.Path.of("/etc/ld.so.cache"))) {
                return "this host has a real " + name + ", which JCublas would bind to the emulated driver;"
                        + " CudaGpuTest and StepGraphsGpuTest cover a GPU host";
            }
        }
        return null;
    }

    @Override
    protected String label() {
        return "cuda (JCuda on the emulated driver)";
    }

    /** Through JCuda, as on a GPU; bytesInUse is cuMemGetInfo here too. */
    @Override
    protected CudaDevice openDevice() {
        return JCudaDevice.open(0);
    }

    @Test
    @Order(1)
    void describesTheDriverAndFallsBackToTheOwnGemmWithoutCublas() {
        try (CudaBackend cuda = CudaBackend.open()) {
            String d = cuda.describe();
            assertTrue(d.contains("compute 7.5") && d.contains("CUDA driver 12.0"), d);
            // The build machine has no libcublas.so.12, so JCublas cannot load: the backend must say
            // so and use its own GEMM, which every parity check below then goes through.
            assertTrue(d.contains("GEMM: descent tiled SGEMM, variant 2 (cuBLAS unavailable: "), d);
            count(1);
        }
    }

    /**
     * Like a real driver, the emulated one keeps the current context per thread, so the test
     * below (a backend used from a second thread) would fail without JCudaDevice.makeCurrent.
     */
    @Test
    @Order(3)
    void aThreadWithoutTheContextIsRefusedByTheDriver() throws Exception {
        try (CudaBackend cuda = CudaBackend.open()) {
            jcuda.driver.JCudaDriver.setExceptionsEnabled(true);
            java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                Throwable refused = other.submit(() -> {
                    try {
                        jcuda.driver.JCudaDriver.cuMemAlloc(new jcuda.driver.CUdeviceptr(), 64);
                        return null;
                    } catch (jcuda.CudaException e) {
                        return e;
                    }
                }).get();
                assertTrue(refused != null && refused.getMessage().contains("CUDA_ERROR_INVALID_CONTEXT"),
                        "a call from a thread without the context: " + refused);
            } finally {
                other.shutdown();
            }
            count(1);
        }
    }

    /** The driver refuses launches a GPU would refuse, with a GPU's error codes. */
    @Test
    @Order(6)
    void launchesBeyondTheGpuLimitsGetTheDriversErrors() {
        try (CudaBackend cuda = new CudaBackend(JCudaDevice.open(0))) {
            CudaDevice device = cuda.device();
            DeviceMemory mem = device.malloc(4096 * 4);
            KernelArgs fill = new KernelArgs().ptr(mem, 0).l(16).f(1f);
            CudaException tooWide = assertThrows(CudaException.class,
                    () -> device.launch(device.function("fill_kernel"), 1, 1, 2048, fill));
            assertTrue(tooWide.getMessage().contains("CUDA_ERROR_INVALID_VALUE"), tooWide.getMessage());
            CudaException registers = assertThrows(CudaException.class, () -> device.launch(device.function("gemm_tiled"),
                    1, 1, 1024, new KernelArgs().i(0).i(0).i(1).i(1).i(1).f(1f).ptr(mem, 0).ptr(mem, 4).f(0f).ptr(mem, 8)));
            assertTrue(registers.getMessage().contains("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"), registers.getMessage());
            device.free(mem);
            count(2);
        }
    }

    /**
     * Modules are loaded with the JIT error log requested (cuModuleLoadDataEx through JCuda's
     * JITOptions): a rejected module's exception carries the driver's log, which shows the
     * marshalling of the log buffer and its size both ways.
     */
    @Test
    @Order(6)
    void aRejectedModuleSaysWhyInTheJitLog() {
        try (JCudaDevice device = JCudaDevice.open(0)) {
            String newer = ".version 9.0\n.target sm_75\n.address_size 64\n.visible .entry fill_kernel(\n)\n{\n}\n\0";
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> JCudaDevice.loadModule("newer", newer.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            assertTrue(e.getMessage().contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION"), e.getMessage());
            assertTrue(e.getMessage().contains("JIT log: line 1: PTX ISA 9.0 is newer than this driver's JIT compiler reads"),
                    e.getMessage());
            count(1);
        }
    }

    @Test
    @Order(6)
    void aPointerOutsideDeviceMemoryIsAnExceptionNotACrash() {
        try (CudaBackend cuda = CudaBackend.open()) {
            CudaDevice device = cuda.device();
            DeviceMemory mem = device.malloc(64);
            int fill = device.function("fill_kernel");
            KernelArgs inside = new KernelArgs().ptr(mem, 0).l(16).f(2f);
            device.launch(fill, 1, 1, 32, inside);
            float[] back = new float[16];
            device.download(mem, 0, back, 0, 16);
            assertEquals(2f, back[15], "fill_kernel through JCuda wrote its value");
            // One megabyte past a 64-byte allocation: a real GPU would fault some time later; the
            // emulated driver refuses the launch, and JCuda turns that into a CudaException.
            KernelArgs outside = new KernelArgs().ptr(mem, 1 << 18).l(16).f(2f);
            CudaException e = assertThrows(CudaException.class, () -> device.launch(fill, 1, 1, 32, outside));
            assertTrue(e.getMessage().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), e.getMessage());
            device.free(mem);
            count(1);
        }
    }

    /**
     * The emulated driver enforces stream capture's rules as a driver does: a synchronous copy
     * while a stream captures, or a copy from host memory on the capturing stream, fails and
     * invalidates the capture, and a graph node that still holds a freed buffer fails when it
     * runs (descent never launches a graph without first updating its nodes to the step's
     * buffers).
     */
    @Test
    @Order(6)
    void theDriverRefusesWhatARealDriverRefuses() {
        try (JCudaDevice device = JCudaDevice.open(0, true)) {
            JCudaDriver.setExceptionsEnabled(true);
            DeviceMemory mem = device.malloc(64 * 4);
            CUstream stream = new CUstream();
            cuStreamCreate(stream, 0);
            cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_GLOBAL);
            CudaException sync = assertThrows(CudaException.class, () -> cuMemcpyHtoD(
                    new jcuda.driver.CUdeviceptr(), Pointer.to(new float[1]), 4));
            assertTrue(sync.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_IMPLICIT"), sync.getMessage());
            CudaException invalidated = assertThrows(CudaException.class, () -> cuStreamEndCapture(stream, new CUgraph()));
            assertTrue(invalidated.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"), invalidated.getMessage());
            cuStreamDestroy(stream);

            // A copy from host memory on a capturing stream is not captured (from pageable memory a
            // driver refuses it): refused, and the capture invalidated.
            CUstream own = new CUstream();
            cuStreamCreate(own, jcuda.driver.CUstream_flags.CU_STREAM_NON_BLOCKING);
            cuStreamBeginCapture(own, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
            CudaException hostCopy = assertThrows(CudaException.class, () -> JCudaDriver.cuMemcpyHtoDAsync(
                    (jcuda.driver.CUdeviceptr) mem.handle, Pointer.to(new float[1]), 4, own));
            assertTrue(hostCopy.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"), hostCopy.getMessage());
            CudaException ended = assertThrows(CudaException.class, () -> cuStreamEndCapture(own, new CUgraph()));
            assertTrue(ended.getMessage().contains("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"), ended.getMessage());
            cuStreamDestroy(own);

            CUgraph graph = new CUgraph();
            cuGraphCreate(graph, 0);
            int fill = device.function("fill_kernel");
            KernelArgs args = new KernelArgs().ptr(mem, 0).l(64).f(3f);
            long[] values = {JCudaDevice.address(mem, 0), 64, Float.floatToRawIntBits(3f)};
            jcuda.driver.CUDA_KERNEL_NODE_PARAMS p = new jcuda.driver.CUDA_KERNEL_NODE_PARAMS();
            p.func = device.cuFunction(fill);
            p.gridDimX = 1;
            p.gridDimY = 1;
            p.gridDimZ = 1;
            p.blockDimX = 64;
            p.blockDimY = 1;
            p.blockDimZ = 1;
            p.kernelParams = device.pack(args.kinds, values, args.count);
            JCudaDriver.cuGraphAddKernelNode(new CUgraphNode(), graph, null, 0, p);
            CUgraphExec exec = new CUgraphExec();
            cuGraphInstantiate(exec, graph, 0);
            cuGraphLaunch(exec, device.stream());
            float[] back = new float[64];
            device.download(mem, 0, back, 0, 64);
            assertEquals(3f, back[63], "the graph's fill ran");
            device.free(mem);
            CudaException freed = assertThrows(CudaException.class, () -> cuGraphLaunch(exec, device.stream()));
            assertTrue(freed.getMessage().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), freed.getMessage());
            cuGraphExecDestroy(exec);
            cuGraphDestroy(graph);
            count(6);
        }
    }

    /**
     * Work enqueued on a capturing stream becomes a node and does not run; the graph runs it (as
     * cuBLAS calls inside a graph-built step are captured on a GPU).
     */
    @Test
    @Order(6)
    void aCapturedLaunchRunsOnlyWhenItsGraphDoes() {
        try (JCudaDevice device = JCudaDevice.open(0, true)) {
            DeviceMemory mem = device.malloc(32 * 4);
            CUgraph graph = new CUgraph();
            cuStreamBeginCapture(device.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_GLOBAL);
            device.launch(device.function("fill_kernel"), 1, 1, 32, new KernelArgs().ptr(mem, 0).l(32).f(5f));
            cuStreamEndCapture(device.stream(), graph);
            float[] back = new float[32];
            device.download(mem, 0, back, 0, 32);
            assertEquals(0f, back[31], "a captured launch must not run");
            CUgraphExec exec = new CUgraphExec();
            cuGraphInstantiate(exec, graph, 0);
            cuGraphLaunch(exec, device.stream());
            device.download(mem, 0, back, 0, 32);
            assertEquals(5f, back[31], "the graph ran the captured launch");
            cuGraphExecDestroy(exec);
            cuGraphDestroy(graph);
            device.free(mem);
            count(2);
        }
    }

    /** train --backend cuda, stopped and resumed, against the uninterrupted run: every array bit for bit. */
    @Test
    void cliResumeIsBitExact(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        count(dev.descent.ResumeChecks.cliResumeIsBitExact("cuda", dir));
    }
}
