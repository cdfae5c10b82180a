package example;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.Backends;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.ParameterSet;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.Trainer;
import dev.descent.TrainingReport;
import dev.descent.data.DataSources;
import dev.descent.optim.Adam;
import dev.descent.optim.Sgd;
import dev.descent.verify.BackendCheck;
import dev.descent.verify.ParityLog;

/**
 * Trains on the CPU, steps a ParameterSet, checks the CPU backend against the reference, and asks
 * for the GPU backends whose bindings are absent.
 */
public final class CpuOnly {
    public static void main(String[] args) {
        DataSources.Split data = DataSources.embedded().normalized();
        Model model = Model.builder(784).dense(32, Activation.RELU).dense(10, Activation.IDENTITY).build();
        double accuracy;
        try (Backend cpu = Backends.open("cpu");
             Session s = Session.create(model, cpu, Adam.builder().lr(2e-3).build(), 128, 1);
             DeviceDataset train = s.upload(data.train());
             DeviceDataset heldOut = s.upload(data.heldOut())) {
            TrainingReport r = new Trainer(s, new Trainer.Config(2, 128, 1, Schedule.CONSTANT, true))
                    .fit(train, heldOut, null);
            accuracy = r.last().heldOutAccuracy();
        }
        float[] w = {1, 2, 3};
        try (Backend cpu = Backends.open("cpu");
             ParameterSet p = ParameterSet.builder(cpu, Sgd.builder().lr(0.5).build()).add(w).build()) {
            p.setGradients(new float[] {1, 1, 1});
            p.step();
            w = p.download(0);
        }
        ParityLog parity = BackendCheck.run(() -> Backends.open("cpu"), 42);
        check(parity.passed() && parity.comparisons() == BackendCheck.expectedComparisons(),
                "BackendCheck on the CPU: " + parity.comparisons() + " comparisons, " + parity.mismatches());
        check(accuracy > 0.7, "held-out accuracy " + accuracy);
        check(w[0] == 0.5f && w[2] == 2.5f, "SGD moved the parameters to " + java.util.Arrays.toString(w));
        for (String gpu : new String[] {"cuda", "opencl"}) {
            try (Backend b = Backends.open(gpu)) {
                throw new AssertionError(gpu + " opened without its binding");
            } catch (IllegalStateException e) {
                check(e.getMessage().contains("to your dependencies"), e.getMessage());
                System.out.println(gpu + ": " + e.getMessage());
            }
        }
        System.out.printf("consumer OK: CPU training, held-out accuracy %.4f; ParameterSet step %s; BackendCheck %d comparisons%n",
                accuracy, java.util.Arrays.toString(w), parity.comparisons());
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
