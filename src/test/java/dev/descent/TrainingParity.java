package dev.descent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.CpuBackend;
import dev.descent.data.Dataset;
import dev.descent.optim.Adam;
import java.util.function.Supplier;

/**
 * A short mini-batch Adam run on a device backend and on the CPU backend from the same seed:
 * the parameters must agree to {@link Tolerances#TRAINING} and the accuracies within 0.02.
 */
public final class TrainingParity {
    private TrainingParity() {}

    public static void againstCpu(Supplier<? extends Backend> device, Model model, Dataset data, int epochs,
                                  int batch, double lr) {
        float[][] params = new float[2][];
        double[] acc = new double[2];
        Backend[] backends = {device.get(), new CpuBackend()};
        for (int b = 0; b < 2; b++) {
            try (Backend be = backends[b]; Session s = Session.create(model, be, Adam.adam(lr), batch, 4);
                 DeviceDataset d = s.upload(data)) {
                TrainingReport report = new Trainer(s, new Trainer.Config(epochs, batch, 4, Schedule.CONSTANT, true))
                        .fit(d, d, null);
                params[b] = s.parameters();
                acc[b] = report.last().heldOutAccuracy();
            }
        }
        String name = backends[0].name();
        double err = Tolerances.relativeL2(params[0], params[1]);
        assertTrue(err < Tolerances.TRAINING, name + " vs cpu parameters after " + epochs + " epochs: " + err);
        assertEquals(acc[1], acc[0], 0.02, name + " accuracy");
    }
}
