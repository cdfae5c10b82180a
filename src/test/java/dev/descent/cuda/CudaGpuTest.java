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
    private static final int ORDINAL = Integer.getInteger("descent.cuda.device", 0);

    @Override
    protected String prepare() {
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
     * Two float32 runs that differ only in summation order and FMA contraction (the GPU's GEMM
     * against the CPU's) follow different trajectories after a few hundred steps, so their
     * accuracies differ like two independently good models: about one percentage point on the
     * 2,000 held-out rows. The bound is that, not a check of equality.
     */
    static final double ACCURACY_SPREAD = 0.01;

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
}
