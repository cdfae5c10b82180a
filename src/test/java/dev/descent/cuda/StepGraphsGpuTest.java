package dev.descent.cuda;

import org.junit.jupiter.api.Tag;

/**
 * {@link StepGraphsSuite} on a real NVIDIA GPU: what confirms CUDA Graphs before they are turned
 * on by default. With cuBLAS (where it loads) every GEMM of a step is a captured child graph.
 * Skips, with the reason, where no GPU can be opened.
 */
@Tag("gpu")
class StepGraphsGpuTest extends StepGraphsSuite {

    @Override
    protected String prepare() {
        return CudaGpuTest.gpuUnavailable();
    }

    @Override
    protected String label() {
        return "cuda (GPU, CUDA Graphs on)";
    }

    @Override
    protected CudaDevice openDevice(GraphDriver graphs) {
        return JCudaDevice.open(CudaGpuTest.ORDINAL, graphs);
    }
}
