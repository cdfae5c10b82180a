package dev.descent.verify;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.Trainer;
import dev.descent.TrainingReport;
import dev.descent.cpu.ReferenceBackend;
import dev.descent.data.Dataset;
import dev.descent.optim.Adam;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Whole training runs: mini-batch Adam on a device backend and on the double-precision reference backend from the same
 * seed, through {@link Session} and {@link Trainer} as an application trains. The parameters must
 * agree to {@link Tolerances#TRAINING} and the held-out accuracies within
 * {@link #ACCURACY_SPREAD}. This covers what the op and optimizer harnesses do not: the on-device
 * batch gather and shuffling, the control block across steps, and (on CUDA) graphs when they are on.
 */
public final class TrainingParity {
    /** The largest difference in held-out accuracy that passes. */
    public static final double ACCURACY_SPREAD = 0.02;

    /** The family the comparisons are logged under. */
    public static final String FAMILY = "training";

    /** 6 inputs, a GELU layer of 13 (ragged on every kernel's tiles), 3 classes. */
    public static final Model SMALL_MODEL = Model.builder(6).dense(13, Activation.GELU).dense(3, Activation.IDENTITY).build();

    private TrainingParity() {}

    /**
     * 96 rows of 6 features in three Gaussian clusters, the same every time.
     *
     * @return the data set
     */
    public static Dataset threeClassProblem() {
        Random r = new Random(5);
        int rows = 96;
        float[] x = new float[rows * 6];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = r.nextInt(3);
            for (int c = 0; c < 6; c++) {
                x[i * 6 + c] = (float) (r.nextGaussian() * 0.5 + (c % 3 == y[i] ? 1.5 : 0));
            }
        }
        return Dataset.classification(x, rows, 6, y, 3);
    }

    /**
     * Trains {@code model} on {@code data} on a backend from {@code device} and on the reference
     * backend, throwing at a mismatch.
     *
     * @param device opens the backend under test (closed here)
     * @param model the network
     * @param data training and held-out data
     * @param epochs epochs to train
     * @param batch the mini-batch size
     * @param lr Adam's learning rate
     */
    public static void againstReference(Supplier<? extends Backend> device, Model model, Dataset data, int epochs,
                                  int batch, double lr) {
        againstReference(device, model, data, epochs, batch, lr, ParityLog.failFast());
    }

    /**
     * As {@link #againstReference(Supplier, Model, Dataset, int, int, double)}, reporting to {@code log}:
     * two comparisons, the parameters and the accuracy.
     *
     * @param device opens the backend under test (closed here)
     * @param model the network
     * @param data training and held-out data
     * @param epochs epochs to train
     * @param batch the mini-batch size
     * @param lr Adam's learning rate
     * @param log where comparisons go
     */
    public static void againstReference(Supplier<? extends Backend> device, Model model, Dataset data, int epochs,
                                  int batch, double lr, ParityLog log) {
        float[][] params = new float[2][];
        double[] acc = new double[2];
        String name = null;
        for (int b = 0; b < 2; b++) {
            try (Backend be = b == 0 ? device.get() : new ReferenceBackend();
                 Session s = Session.create(model, be, Adam.adam(lr), batch, 4);
                 DeviceDataset d = s.upload(data)) {
                TrainingReport report = new Trainer(s, new Trainer.Config(epochs, batch, 4, Schedule.CONSTANT, true))
                        .fit(d, d, null);
                params[b] = s.parameters();
                acc[b] = report.last().heldOutAccuracy();
                if (b == 0) {
                    name = be.name();
                    String repeated = be.repeatedSteps();  // how the steps ran, e.g. as CUDA Graphs
                    if (repeated != null) {
                        log.note(FAMILY + ": " + repeated);
                    }
                }
            }
        }
        String run = name + " vs reference after " + epochs + " epochs of Adam, batch " + batch;
        log.compare(FAMILY, run + ": parameters", Tolerances.relativeL2(params[0], params[1]), Tolerances.TRAINING);
        log.compare(FAMILY, run + ": held-out accuracy " + acc[0] + " vs " + acc[1] + " (absolute difference)",
                Math.abs(acc[0] - acc[1]), ACCURACY_SPREAD);
    }
}
