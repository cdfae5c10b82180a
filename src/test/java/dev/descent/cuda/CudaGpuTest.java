package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.Trainer;
import dev.descent.TrainingReport;
import dev.descent.cpu.CpuBackend;
import dev.descent.data.DataSources;
import dev.descent.optim.Adam;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The backend contract ({@link CudaSuite}) on a real NVIDIA GPU, with cuBLAS where it loads and
 * each of descent's own SGEMM variants, plus the default training run against the CPU backend.
 * Skips, with the reason, where no GPU can be opened.
 */
@Tag("gpu")
class CudaGpuTest extends CudaSuite {
    static final int ORDINAL = Integer.getInteger("descent.cuda.device", 0);

    @Override
    protected String prepare() {
        return gpuUnavailable();
    }

    /** Why no GPU can be opened here, or null when one can. */
    static String gpuUnavailable() {
        try (CudaBackend probe = CudaBackend.open()) {
            if (probe.describe().startsWith(EmulatedDriverTest.DEVICE_NAME)) {
                return "libcuda.so.1 on LD_LIBRARY_PATH is descent's emulated driver, not a GPU";
            }
            System.out.println("[gpu] " + probe.describe());
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** benchmarks/gpu/run.sh reads "cuda (GPU) tests skipped" to tell a host without a GPU (exit 2). */
    @Override
    protected String label() {
        return "cuda (GPU)";
    }

    /** cuBLAS where it loads, unless -Ddescent.cuda.gemm says otherwise. */
    @Override
    protected Backend open() {
        return CudaBackend.open();
    }

    @Override
    protected CudaDevice openDevice() {
        return JCudaDevice.open(ORDINAL);
    }

    @Override
    protected Model thousandSessionsModel() {
        return Model.builder(784).dense(256, Activation.RELU).dense(10, Activation.IDENTITY).build();
    }

    /**
     * How far two float32 runs that differ only in summation order may end apart: this test's
     * training (raw pixels, Adam 1e-3, batch 64, 10 epochs, 2,000 held-out rows) follows a
     * different trajectory under another order after a few hundred steps. Measured on the CPU
     * with the same seed and three orders (Vector API GEMM, scalar GEMM, OpenCL on PoCL), seeds
     * 42 and 1 to 5, held-out accuracy:
     * <pre>
     * seed  vector  scalar  opencl   spread
     *  42   0.8000  0.7970  0.7945   0.0055
     *   1   0.7930  0.8070  0.8040   0.0140
     *   2   0.7780  0.7960  0.7760   0.0200
     *   3   0.8105  0.7865  0.8035   0.0240
     *   4   0.7905  0.7990  0.7965   0.0085
     *   5   0.7880  0.7905  0.8035   0.0155
     * </pre>
     * The largest spread is 0.024, so the GPU (a fourth order, with FMA) may differ from the CPU
     * by that much without a bug; the bound is 0.03. (It was 0.01, which the H100's 0.7990 against
     * 0.7970 met with seed 42 by the luck of that seed.) A broken GPU path lands far outside it:
     * an untrained network scores about 0.1.
     */
    static final double ACCURACY_SPREAD = 0.03;

    @Test
    @Order(7)
    void defaultTrainingRunMatchesTheCpuAccuracy() {
        DataSources.Split split = DataSources.embedded();
        Model model = Model.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).build();
        double[] accuracy = new double[2];
        Backend[] backends = {open(), new CpuBackend()};
        for (int b = 0; b < 2; b++) {
            try (Backend be = backends[b]; Session s = Session.create(model, be, Adam.adam(1e-3), 64, 42);
                 DeviceDataset train = s.upload(split.train()); DeviceDataset held = s.upload(split.heldOut())) {
                TrainingReport r = new Trainer(s, new Trainer.Config(10, 64, 42, Schedule.CONSTANT, true))
                        .fit(train, held, null);
                accuracy[b] = r.last().heldOutAccuracy();
            }
        }
        System.out.printf("[gpu] held-out accuracy after 10 epochs: cuda %.4f, cpu %.4f%n", accuracy[0], accuracy[1]);
        assertTrue(Math.abs(accuracy[0] - accuracy[1]) <= ACCURACY_SPREAD, "cuda " + accuracy[0] + " vs cpu " + accuracy[1]);
        count(1);
    }

    /** train --backend cuda, stopped and resumed, against the uninterrupted run: every array bit for bit. */
    @Test
    void cliResumeIsBitExact(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        count(dev.descent.ResumeChecks.cliResumeIsBitExact("cuda", dir));
    }
}
