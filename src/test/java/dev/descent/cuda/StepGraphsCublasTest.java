package dev.descent.cuda;

import org.junit.jupiter.api.Tag;

/**
 * {@link StepGraphsSuite} with cuBLAS serving the GEMMs (see {@link EmulatedCublasTest}): every
 * GEMM of a graph-built step is a cuBLAS call captured on the device's stream into a child graph,
 * and replays must still give the bits of direct calls.
 */
@Tag("emulated-cublas")
class StepGraphsCublasTest extends StepGraphsSuite {

    @Override
    protected String prepare() {
        return EmulatedCublasTest.cublasUnavailable();
    }

    @Override
    protected String label() {
        return "cuda (JCuda and JCublas on the emulated driver, CUDA Graphs on)";
    }

    @Override
    protected CudaDevice openDevice(GraphDriver graphs) {
        return JCudaDevice.open(0, graphs);
    }
}
