package dev.descent.cuda;

import static jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_T;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;

/**
 * SGEMM through cuBLAS (JCublas2). Strict FP32 by default; TF32 tensor cores only when asked
 * ({@value #TF32_PROPERTY}=true), since TF32 keeps 10 mantissa bits and would fail the FP32
 * parity tolerances. JCublas 12.6 links libcublas.so.12; on a host with only CUDA 13's cuBLAS,
 * {@link CublasLibrary} puts descent's forwarding library in its place first. Where neither
 * loads, {@link #tryCreate} returns null with the reason.
 */
final class CublasGemm implements AutoCloseable {
    static final String TF32_PROPERTY = "descent.cuda.tf32";

    private final cublasHandle handle;
    private final boolean tf32;
    /** Which library serves the calls, when it is not a real libcublas.so.12 ("" then). */
    private final String via;
    // Reused for every call, so a GEMM allocates nothing: JCublas reads the cells at call time.
    private final float[] alpha = new float[1];
    private final float[] beta = new float[1];
    private final Pointer alphaAt = Pointer.to(alpha);
    private final Pointer betaAt = Pointer.to(beta);
    private final DevicePointers pointers = new DevicePointers();
    /** The device's training-step graphs (a GEMM inside a step becomes a child graph); null when off. */
    private final StepGraphs graphs;
    /** A GEMM's signature in a step graph, reused (see {@link #gemm}). */
    private final long[] signature = new long[10];
    /** The first word of a GEMM's signature (JCudaDevice.COPY is 1). */
    static final long GEMM = 2;
    /**
     * cuBLAS's workspace, given explicitly: 32 MiB, cuBLAS 12's default on Hopper (4 MiB
     * elsewhere). With graphs on, cuBLAS would otherwise allocate a fresh workspace for each graph
     * it is captured into (PyTorch found this and sets one, pytorch/pytorch#83461), and a
     * graph-built step captures every GEMM on its own. It is set with graphs off too, because
     * cuBLAS picks its algorithm by the workspace it has: with the same workspace both ways, a
     * graph-built step computes exactly what direct calls compute, on any GPU.
     */
    static final long WORKSPACE_BYTES = 32L << 20;

    private final JCudaDevice device;
    private final DeviceMemory workspace;

    private CublasGemm(cublasHandle handle, boolean tf32, String via, JCudaDevice device, DeviceMemory workspace) {
        this.handle = handle;
        this.tf32 = tf32;
        this.via = via;
        this.device = device;
        this.graphs = device.graphs();
        this.workspace = workspace;
    }

    /**
     * cuBLAS on the device's current context and stream, or null; {@code reason[0]} says why not.
     */
    static CublasGemm tryCreate(String[] reason, boolean tf32, JCudaDevice device) {
        String via = CublasLibrary.arrange();
        try {
            JCublas2.setExceptionsEnabled(true);
            cublasHandle h = new cublasHandle();
            JCublas2.cublasCreate(h);
            JCublas2.cublasSetMathMode(h, tf32 ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath.CUBLAS_DEFAULT_MATH);
            // The device's stream: ordered with descent's kernels, and where graphs capture steps.
            JCublas2.cublasSetStream(h, new jcuda.runtime.cudaStream_t(device.stream()));
            // After the stream: setting a stream resets the workspace to cuBLAS's own pool.
            DeviceMemory workspace = device.malloc(WORKSPACE_BYTES);
            try {
                JCublas2.cublasSetWorkspace(h, (jcuda.Pointer) workspace.handle, WORKSPACE_BYTES);
            } catch (RuntimeException e) {
                device.free(workspace);
                JCublas2.cublasDestroy(h);
                throw e;
            }
            return new CublasGemm(h, tf32, via, device, workspace);
        } catch (UnsatisfiedLinkError e) {
            // As with libcuda, the missing library is named deep in the cause chain, not on line 1.
            String msg = dev.descent.internal.Check.rootMessage(e);
            reason[0] = msg.contains("libcublas.so.12")
                    ? "cuBLAS unavailable: " + (via.isEmpty() ? "libcublas.so.12 did not load" : via)
                    : "cuBLAS unavailable: " + dev.descent.internal.Check.firstLine(msg);
        } catch (Throwable e) {
            reason[0] = "cuBLAS unavailable: " + e;
        }
        return null;
    }

    String describe() {
        String mode = tf32 ? "TF32 tensor cores" : "strict FP32";
        return via.isEmpty() ? "cuBLAS (" + mode + ")" : "cuBLAS (" + mode + "; " + via + ")";
    }

    /**
     * Row-major C = alpha op(A) op(B) + beta C is column-major C^T = alpha op(B)^T op(A)^T + beta C^T,
     * so cuBLAS gets the operands swapped and m, n exchanged. Inside a training step with graphs
     * on, the call becomes a child graph node when the step is built and is skipped when it is
     * replayed unchanged (see StepGraphs).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alphaValue, DeviceMemory aMem, long aOffset,
              DeviceMemory bMem, long bOffset, float betaValue, DeviceMemory cMem, long cOffset) {
        device.enter();  // as every device call: another thread's step is not interrupted
        try {
            if (graphs != null && graphs.inStep()) {
                long[] s = signature;
                s[0] = GEMM;
                s[1] = (transA ? 1 : 0) | (transB ? 2 : 0);
                s[2] = m;
                s[3] = n;
                s[4] = k;
                s[5] = Float.floatToRawIntBits(alphaValue);
                s[6] = Float.floatToRawIntBits(betaValue);
                s[7] = JCudaDevice.address(aMem, aOffset);
                s[8] = JCudaDevice.address(bMem, bOffset);
                s[9] = JCudaDevice.address(cMem, cOffset);
                if (graphs.replayed(s)) {
                    return;
                }
                if (graphs.building()) {
                    graphs.addForeign(s.clone(), () -> issue(transA, transB, m, n, k, alphaValue, aMem, aOffset, bMem,
                            bOffset, betaValue, cMem, cOffset));
                    return;
                }
            }
            issue(transA, transB, m, n, k, alphaValue, aMem, aOffset, bMem, bOffset, betaValue, cMem, cOffset);
        } finally {
            device.leave();
        }
    }

    private void issue(boolean transA, boolean transB, int m, int n, int k, float alphaValue, DeviceMemory aMem,
                       long aOffset, DeviceMemory bMem, long bOffset, float betaValue, DeviceMemory cMem, long cOffset) {
        alpha[0] = alphaValue;
        beta[0] = betaValue;
        CUdeviceptr a = pointers.at(aMem, aOffset), b = pointers.at(bMem, bOffset), c = pointers.at(cMem, cOffset);
        JCublas2.cublasSgemm(handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N,
                n, m, k, alphaAt, b, transB ? k : n, a, transA ? m : k, betaAt, c, n);
    }

    @Override
    public void close() {
        JCublas2.cublasDestroy(handle);
        device.free(workspace);
    }
}
