package dev.descent;

import java.util.List;

/**
 * Typed settings for opening a backend: which OpenCL device, which CUDA device, which GEMM the
 * CUDA backend uses, whether cuBLAS may use TF32 tensor cores and whether training steps run as
 * CUDA Graphs. {@link #defaults()} takes each from its system property
 * ({@code descent.opencl.device}, {@code descent.cuda.device}, {@code descent.cuda.gemm},
 * {@code descent.cuda.tf32}, {@code descent.cuda.graphs}) where one is set, so command-line
 * {@code -D} settings keep working; code should prefer the {@code with} methods.
 *
 * @param openclDevice OpenCL device by index or name substring; null for the first in preference order
 * @param cudaDevice   CUDA device ordinal
 * @param cudaGemm     auto (cuBLAS where it loads), cublas, tiled (descent's own), tiled1, tiled2 or tiled3
 * @param cudaTf32     let cuBLAS use TF32 tensor cores (10-bit mantissa; off keeps strict FP32)
 * @param cudaGraphs   build each training step's launches into a CUDA Graph once per batch shape
 *                     and replay it (off by default: verified on the emulated driver, not yet on a GPU)
 */
public record BackendOptions(String openclDevice, int cudaDevice, String cudaGemm, boolean cudaTf32,
                             boolean cudaGraphs) {
    static final List<String> GEMMS = List.of("auto", "cublas", "tiled", "tiled1", "tiled2", "tiled3");

    /**
     * Checks the CUDA device index and GEMM name.
     *
     * @param openclDevice OpenCL device index or name fragment, or null for the first
     * @param cudaDevice CUDA device ordinal, at least 0
     * @param cudaGemm auto, cublas, tiled, tiled1, tiled2 or tiled3
     * @param cudaTf32 let cuBLAS use TF32 tensor cores
     * @param cudaGraphs run training steps as CUDA Graphs
     */
    public BackendOptions {
        if (cudaDevice < 0) {
            throw new IllegalArgumentException("cudaDevice must be >= 0, got " + cudaDevice);
        }
        if (!GEMMS.contains(cudaGemm)) {
            throw new IllegalArgumentException("cudaGemm must be one of " + String.join(", ", GEMMS) + "; got '"
                    + cudaGemm + "'");
        }
    }

    /**
     * The options without CUDA Graphs (the form before graphs existed).
     *
     * @param openclDevice OpenCL device index or name fragment, or null for the first
     * @param cudaDevice CUDA device ordinal, at least 0
     * @param cudaGemm auto, cublas, tiled, tiled1, tiled2 or tiled3
     * @param cudaTf32 let cuBLAS use TF32 tensor cores
     */
    public BackendOptions(String openclDevice, int cudaDevice, String cudaGemm, boolean cudaTf32) {
        this(openclDevice, cudaDevice, cudaGemm, cudaTf32, false);
    }

    /** The system property that turns CUDA Graphs on ({@code -Ddescent.cuda.graphs=true}). */
    public static final String CUDA_GRAPHS_PROPERTY = "descent.cuda.graphs";

    /**
     * The settings the system properties give, else: first OpenCL device, CUDA device 0, auto GEMM,
     * strict FP32, no graphs.
     *
     * @return the options
     */
    public static BackendOptions defaults() {
        // The one place the system properties are read.
        return new BackendOptions(System.getProperty(dev.descent.opencl.OpenClDevices.PROPERTY),
                Integer.getInteger("descent.cuda.device", 0), System.getProperty(dev.descent.cuda.CudaBackend.GEMM_PROPERTY, "auto"),
                Boolean.getBoolean("descent.cuda.tf32"), Boolean.getBoolean(CUDA_GRAPHS_PROPERTY));
    }

    /**
     * The same options with another OpenCL device.
     *
     * @param device index or name fragment, or null for the first
     * @return new options
     */
    public BackendOptions withOpenClDevice(String device) {
        return new BackendOptions(device, cudaDevice, cudaGemm, cudaTf32, cudaGraphs);
    }

    /**
     * The same options with another CUDA device.
     *
     * @param ordinal the device's index
     * @return new options
     */
    public BackendOptions withCudaDevice(int ordinal) {
        return new BackendOptions(openclDevice, ordinal, cudaGemm, cudaTf32, cudaGraphs);
    }

    /**
     * The same options with another CUDA GEMM.
     *
     * @param gemm auto, cublas, tiled, tiled1, tiled2 or tiled3
     * @return new options
     */
    public BackendOptions withCudaGemm(String gemm) {
        return new BackendOptions(openclDevice, cudaDevice, gemm, cudaTf32, cudaGraphs);
    }

    /**
     * The same options with TF32 on or off.
     *
     * @param tf32 let cuBLAS use TF32 tensor cores
     * @return new options
     */
    public BackendOptions withCudaTf32(boolean tf32) {
        return new BackendOptions(openclDevice, cudaDevice, cudaGemm, tf32, cudaGraphs);
    }

    /**
     * The same options with CUDA Graphs on or off.
     *
     * @param graphs build each training step into a graph once per batch shape and replay it
     * @return new options
     */
    public BackendOptions withCudaGraphs(boolean graphs) {
        return new BackendOptions(openclDevice, cudaDevice, cudaGemm, cudaTf32, graphs);
    }
}
