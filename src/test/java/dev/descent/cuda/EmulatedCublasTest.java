package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA contract with cuBLAS serving the GEMMs, without a GPU: JCublas unmodified, through
 * descent's libcublas.so.12 forwarder (native/cublas12), to a stand-in libcublas.so.13 on the
 * emulated driver (native/emu/emulated_cublas.cpp) that runs each SGEMM as a launch of descent's
 * gemm_tiled kernel and refuses leading dimensions other than the packed ones. So CI runs the
 * cuBLAS path of {@link CudaBackend}: {@link CublasGemm}'s row-major to column-major mapping, its
 * stream and workspace, and the forwarder, which otherwise only a GPU host runs.
 *
 * <p>Runs in the surefire execution {@code cublas-on-emulated-driver}, which puts both libraries
 * on LD_LIBRARY_PATH and sets {@value #PROPERTY}.
 */
@Tag("emulated-cublas")
class EmulatedCublasTest extends CudaSuite {
    static final String PROPERTY = "descent.cuda.emulated.cublas";
    private static final String LIBRARY = System.getProperty(PROPERTY);

    @Override
    protected String prepare() {
        return cublasUnavailable();
    }

    /** Why the emulated-cuBLAS suites cannot run here, or null when JCublas reaches the stand-in. */
    static String cublasUnavailable() {
        if (LIBRARY == null) {
            return "-D" + PROPERTY + " unset (mvn test runs them in the cublas-on-emulated-driver execution)";
        }
        String missing = notBuilt("emulated cuBLAS", LIBRARY, "g++", "cublas-emu");
        if (missing != null) {
            return missing;
        }
        String driver = EmulatedDriverTest.driverUnavailable();
        if (driver != null) {
            return driver;
        }
        try (CudaBackend probe = CudaBackend.open()) {
            assertTrue(probe.describe().contains("GEMM: cuBLAS (strict FP32; CUDA 13's cuBLAS through descent's"
                    + " libcublas.so.12 forwarder)"), "JCublas did not reach the stand-in: " + probe.describe());
        }
        return null;
    }

    @Override
    protected String label() {
        return "cuda (JCuda and JCublas on the emulated driver)";
    }

    @Override
    protected CudaDevice openDevice() {
        return JCudaDevice.open(0);
    }

    /** Every GEMM of the contract went through cuBLAS: the stand-in would refuse a wrong leading dimension. */
    @Test
    @Order(1)
    void theGemmsGoThroughCublas() {
        try (CudaBackend cuda = new CudaBackend(openDevice())) {
            assertTrue(cuda.describe().contains("GEMM: cuBLAS"), cuda.describe());
            count(1);
        }
    }
}
