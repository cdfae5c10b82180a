package dev.descent.cuda;

import dev.descent.Activation;
import dev.descent.Buf;
import dev.descent.Loss;
import dev.descent.StepGuard;
import dev.descent.optim.OptimizerSpec;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The CUDA backend: every buffer (arena, state, control block, workspace, datasets) lives in
 * device memory, every op is a kernel launch on one stream, and a training step reads nothing
 * back (the control block carries loss, norm and the skip decision on the device). GEMM goes to
 * cuBLAS when JCublas loads, otherwise to descent's own tiled kernel; {@link #describe()} says
 * which, and why.
 */
public final class CudaBackend extends dev.descent.BackendBase {

    static final class CudaBuf implements Buf {
        final DeviceMemory mem;
        final int length;

        CudaBuf(DeviceMemory mem, int length) {
            this.mem = mem;
            this.length = length;
        }

        @Override
        public int length() {
            return length;
        }
    }

    private final CudaDevice device;
    private final CudaOps ops;
    private final CudaUpdates updates;
    private final CublasGemm cublas;
    /** Which of descent's SGEMM variants runs when cuBLAS does not. */
    private final int ownGemm;
    /** Variant 3 and its workspace, when chosen; null otherwise. */
    private final SplitKGemm splitK;
    private final String gemmNote;
    private final Set<CudaBuf> live = Collections.newSetFromMap(new IdentityHashMap<>());

    /**
     * A backend on {@code device}, which it owns and closes. cuBLAS is tried only on a real GPU;
     * the GEMM and TF32 settings come from {@link dev.descent.BackendOptions#defaults()}.
     *
     * @param device a GPU through JCuda, or the CPU emulation
     */
    CudaBackend(CudaDevice device) {
        this(device, dev.descent.BackendOptions.defaults());
    }

    private CudaBackend(CudaDevice device, dev.descent.BackendOptions options) {
        this(device, options.cudaGemm(), options.cudaTf32());
    }

    /** {@code gemm}: a {@link #GEMM_PROPERTY} value. */
    CudaBackend(CudaDevice device, String gemm) {
        this(device, gemm, dev.descent.BackendOptions.defaults().cudaTf32());
    }

    /**
     * A backend on {@code device} with the given GEMM and TF32 setting.
     *
     * @param device a GPU through JCuda, or the CPU emulation; the backend owns and closes it
     * @param gemm {@code auto}, {@code cublas}, {@code tiled}, {@code tiled1}, {@code tiled2} or {@code tiled3} (see {@link #GEMM_PROPERTY})
     * @param tf32 whether cuBLAS may use TF32 tensor cores (faster, about 10 bits of mantissa)
     */
    CudaBackend(CudaDevice device, String gemm, boolean tf32) {
        this(device, gemm, tf32, CudaOps.MAX_GRID);
    }

    /**
     * As above, with at most {@code maxGrid} blocks per grid-stride launch: tests pass 1 to 3 so
     * that every element-wise and update loop wraps several times on the parity shapes.
     */
    CudaBackend(CudaDevice device, String gemm, boolean tf32, int maxGrid) {
        super("cuda", false);
        this.device = device;
        this.ops = new CudaOps(device, maxGrid);
        this.updates = new CudaUpdates(ops);
        String[] reason = {"cuBLAS not used on the CPU emulation"};
        this.ownGemm = gemm.equals("tiled1") ? 1 : gemm.equals("tiled3") ? 3 : 2;
        switch (gemm) {
            case "auto":
                this.cublas = device instanceof JCudaDevice ? CublasGemm.tryCreate(reason, tf32, (JCudaDevice) device) : null;
                break;
            case "tiled":
            case "tiled1":
            case "tiled2":
            case "tiled3":
                this.cublas = null;
                reason[0] = "-D" + GEMM_PROPERTY + "=" + gemm;
                break;
            case "cublas":
                this.cublas = device instanceof JCudaDevice ? CublasGemm.tryCreate(reason, tf32, (JCudaDevice) device) : null;
                if (cublas == null) {
                    device.close();
                    throw new IllegalStateException("CUDA: -D" + GEMM_PROPERTY + "=cublas but " + reason[0]);
                }
                break;
            default:
                device.close();
                throw new IllegalArgumentException(GEMM_PROPERTY + " must be auto, cublas, tiled, tiled1, tiled2 or tiled3; got '"
                        + gemm + "'");
        }
        try {
            this.splitK = ownGemm == 3 ? new SplitKGemm(ops) : null;
        } catch (RuntimeException e) {  // the workspace did not fit: give the device back, say why
            ops.close();
            device.close();
            throw e;
        }
        this.gemmNote = cublas != null ? cublas.describe()
                : "descent tiled SGEMM, variant " + ownGemm + " (" + reason[0] + ")";
    }

    /**
     * Which SGEMM the backend uses: {@code auto} (cuBLAS where it loads, else descent's tiled
     * kernel), {@code cublas} (fail if it does not load) or {@code tiled} (descent's kernel even
     * where cuBLAS loads, so the GPU suite and benchmarks can check and time it). {@code tiled1},
     * {@code tiled2} and {@code tiled3} pick a variant of descent's kernel (kernels/cuda/gemm.cu;
     * 2 by default; 3, split-K for small batches, awaits its first timing on a GPU).
     */
    public static final String GEMM_PROPERTY = "descent.cuda.gemm";

    /** Device memory, not the JVM heap, bounds what a model or dataset may take here. */
    @Override
    public long availableBytes() {
        life.check();
        return device.freeBytes();
    }

    /**
     * GPU {@code descent.cuda.device} (0 by default) through the driver API, with the default settings.
     *
     * @return the backend
     * @throws IllegalStateException with the reason when no CUDA device can be opened
     */
    public static CudaBackend open() {
        dev.descent.BackendOptions o = dev.descent.BackendOptions.defaults();
        return open(o.cudaDevice(), o.cudaGemm(), o.cudaTf32(), o.cudaGraphs());
    }

    /**
     * The GPU {@code options} name through JCuda or, when {@code -Ddescent.cuda.emulator=PATH}
     * names the emulation library ({@code make -C native emu}), the same backend running the
     * kernels on the CPU (for tests and CI only).
     *
     * @param options device ordinal, GEMM choice and TF32 setting
     * @return the backend
     * @throws IllegalStateException with the reason when neither can be opened
     */
    public static CudaBackend open(dev.descent.BackendOptions options) {
        if (EmulatedDevice.configuredLibrary() != null) {
            return new CudaBackend(EmulatedDevice.open(), options.cudaGemm(), options.cudaTf32());
        }
        return open(options.cudaDevice(), options.cudaGemm(), options.cudaTf32(), options.cudaGraphs());
    }

    /**
     * A GPU with the given GEMM choice and TF32 setting (see {@link dev.descent.BackendOptions}).
     *
     * @param ordinal the device's index
     * @param gemm {@code auto}, {@code cublas}, {@code tiled}, {@code tiled1}, {@code tiled2} or {@code tiled3}
     * @param tf32 whether cuBLAS may use TF32
     * @return the backend
     */
    public static CudaBackend open(int ordinal, String gemm, boolean tf32) {
        return open(ordinal, gemm, tf32, false);
    }

    /**
     * A GPU with the given GEMM choice, TF32 setting and CUDA Graphs on or off.
     *
     * @param ordinal the device's index
     * @param gemm {@code auto}, {@code cublas}, {@code tiled}, {@code tiled1}, {@code tiled2} or {@code tiled3}
     * @param tf32 whether cuBLAS may use TF32
     * @param graphs whether training steps are built into CUDA Graphs and replayed
     * @return the backend
     */
    public static CudaBackend open(int ordinal, String gemm, boolean tf32, boolean graphs) {
        return new CudaBackend(JCudaDevice.open(ordinal, graphs), gemm, tf32);
    }

    private static DeviceMemory m(Buf buf) {
        return ((CudaBuf) buf).mem;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String describe() {
        return device.describe() + "; GEMM: " + gemmNote;
    }

    /** Device bytes this backend's live buffers hold: descent's own figure, exact, for leak checks. */
    long liveBytes() {
        long bytes = 0;
        for (CudaBuf buf : live) {
            bytes += buf.mem.bytes;
        }
        return bytes;
    }

    /**
     * The device under this backend (for leak checks and tests).
     *
     * @return the device
     */
    CudaDevice device() {
        return device;
    }

    @Override
    public Buf allocate(int length) {
        life.check();
        CudaBuf buf = new CudaBuf(device.malloc(Math.max(1, length) * 4L), length);
        live.add(buf);
        return buf;
    }

    @Override
    public void free(Buf buf) {
        if (live.remove((CudaBuf) buf)) {
            device.free(m(buf));
        }
    }

    @Override
    public void upload(float[] src, int srcOffset, Buf dst, int dstOffset, int length) {
        life.check();
        device.upload(src, srcOffset, m(dst), dstOffset, length);
    }

    @Override
    public void download(Buf src, int srcOffset, float[] dst, int dstOffset, int length) {
        life.check();
        device.download(m(src), srcOffset, dst, dstOffset, length);
    }

    @Override
    public void fill(Buf buf, int offset, int length, float value) {
        life.check();
        ops.fill(m(buf), offset, length, value);
    }

    @Override
    public void copy(Buf src, int srcOffset, Buf dst, int dstOffset, int length) {
        life.check();
        device.copy(m(src), srcOffset, m(dst), dstOffset, length);
    }

    @Override
    public void gatherRows(Buf src, int cols, Buf index, int indexOffset, int rows, Buf dst) {
        life.check();
        ops.gather(m(src), cols, m(index), indexOffset, rows, m(dst));
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int aOffset, Buf b,
                     int bOffset, float beta, Buf c, int cOffset) {
        life.check();
        if (m == 0 || n == 0) {
            return;
        }
        if (cublas != null) {
            device.makeCurrent();
            cublas.gemm(transA, transB, m, n, k, alpha, m(a), aOffset, m(b), bOffset, beta, m(c), cOffset);
        } else if (splitK != null) {
            splitK.gemm(transA, transB, m, n, k, alpha, m(a), aOffset, m(b), bOffset, beta, m(c), cOffset);
        } else {
            ops.gemmTiled(ownGemm, transA, transB, m, n, k, alpha, m(a), aOffset, m(b), bOffset, beta, m(c), cOffset);
        }
    }

    @Override
    public void biasActivation(Activation act, int rows, int cols, Buf z, int zOffset, Buf bias, int biasOffset,
                               Buf out, int outOffset) {
        ops.biasActivation(act, rows, cols, m(z), zOffset, m(bias), biasOffset, m(out), outOffset);
    }

    @Override
    public void activationBackward(Activation act, int n, Buf z, int zOffset, Buf gradOut, int gradOutOffset,
                                   Buf gradZ, int gradZOffset) {
        ops.activationBackward(act, n, m(z), zOffset, m(gradOut), gradOutOffset, m(gradZ), gradZOffset);
    }

    @Override
    public void biasGradient(int rows, int cols, Buf gradZ, int gradZOffset, Buf gradBias, int gradBiasOffset) {
        ops.biasGradient(rows, cols, m(gradZ), gradZOffset, m(gradBias), gradBiasOffset);
    }

    @Override
    public void loss(Loss loss, int rows, int cols, Buf output, int outputOffset, Buf target, int targetOffset,
                     Buf grad, int gradOffset, Buf control, boolean evaluation) {
        ops.loss(loss, rows, cols, m(output), outputOffset, m(target), targetOffset,
                grad == null ? null : m(grad), gradOffset, m(control), evaluation);
    }

    @Override
    public void gradientNorm(Buf grads, int length, float clipValue, Buf control) {
        life.check();
        ops.gradientNorm(m(grads), length, clipValue, m(control));
    }

    @Override
    public void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, Buf control) {
        life.check();
        ops.beginStep(spec, guard, batchIndex, rows, m(control));
    }

    /** The state buffers' device memory for {@link #step}, reused across steps. */
    private DeviceMemory[] stateMemory = new DeviceMemory[0];

    @Override
    public void step(OptimizerSpec spec, float lr, Buf params, Buf grads, Buf[] state, int length, int decayEnd,
                     float clipValue, Buf control) {
        life.check();
        if (stateMemory.length != state.length) {
            stateMemory = new DeviceMemory[state.length];
        }
        for (int i = 0; i < state.length; i++) {
            stateMemory[i] = m(state[i]);
        }
        updates.step(spec, lr, m(params), m(grads), stateMemory, length, decayEnd, clipValue, m(control));
    }

    /**
     * With CUDA Graphs on, the step's launches are built into a graph the first time a shape
     * comes, and replayed after (see {@link StepGraphs}); otherwise nothing happens.
     */
    @Override
    public void beginRepeatedStep(int shape) {
        life.check();
        StepGraphs graphs = device.graphs();
        if (graphs != null) {
            device.makeCurrent();
            graphs.begin(shape);
        }
    }

    @Override
    public String repeatedSteps() {
        StepGraphs graphs = device.graphs();
        return graphs == null ? null : graphs.summary();
    }

    @Override
    public void endRepeatedStep(boolean completed) {
        StepGraphs graphs = device.graphs();
        if (graphs != null && graphs.inStep()) {
            device.makeCurrent();
            graphs.end(completed);
        }
    }

    @Override
    public void synchronize() {
        device.synchronize();
    }

    @Override
    public void close() {
        if (!life.close()) {
            return;
        }
        for (CudaBuf buf : live) {
            device.free(buf.mem);
        }
        live.clear();
        if (splitK != null) {
            splitK.close();
        }
        ops.close();
        if (cublas != null) {
            cublas.close();
        }
        device.close();
    }
}
