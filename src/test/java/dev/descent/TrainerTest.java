package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.CpuBackend;
import dev.descent.cpu.ReferenceBackend;
import dev.descent.data.DataSources;
import dev.descent.data.Dataset;
import dev.descent.optim.Adam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.Sgd;
import dev.descent.verify.Tolerances;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Training modes, determinism, the non-finite guard, and accuracy on real data. */
class TrainerTest {

    /** Three Gaussian blobs in 4-D: separable, so every mode must learn them. */
    static Dataset blobs(int rows, long seed) {
        Random r = new Random(seed);
        float[] x = new float[rows * 4];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = r.nextInt(3);
            for (int c = 0; c < 4; c++) {
                x[i * 4 + c] = (float) (r.nextGaussian() * 0.5 + (c == y[i] ? 2 : 0));
            }
        }
        return Dataset.classification(x, rows, 4, y, 3);
    }

    static Model small() {
        return Model.builder(4).dense(16, Activation.TANH).dense(3, Activation.IDENTITY).build();
    }

    private static TrainingReport train(Backend backend, Model model, OptimizerSpec spec, Dataset data, int batch,
                                        int epochs, long seed, Session[] out) {
        Session s = Session.create(model, backend, spec, Math.min(batch, data.rows()), seed);
        out[0] = s;
        try (DeviceDataset d = s.upload(data)) {
            return new Trainer(s, new Trainer.Config(epochs, batch, seed, Schedule.CONSTANT, true))
                    .fit(d, d, null);
        }
    }

    /** The optimizer spec owns the learning rate: plain SGD at twice the lr moves the parameters twice as far. */
    @Test
    void theOptimizersLearningRateIsTheBaseTheTrainerUses() {
        Dataset data = blobs(16, 4);
        float[][] moved = new float[2][];
        double[] lrs = {0.05, 0.1};
        for (int k = 0; k < 2; k++) {
            try (Session s = Session.create(small(), new CpuBackend(), Sgd.of(lrs[k]), 16, 5);
                 DeviceDataset d = s.upload(data)) {
                float[] before = s.parameters();
                new Trainer(s, new Trainer.Config(1, 16, 1, Schedule.CONSTANT, false)).fit(d, null, null);
                float[] after = s.parameters();
                moved[k] = new float[before.length];
                for (int i = 0; i < before.length; i++) {
                    moved[k][i] = after[i] - before[i];
                }
            }
        }
        double norm = 0;
        for (int i = 0; i < moved[0].length; i++) {
            assertEquals(2 * moved[0][i], moved[1][i], 1e-6 + 1e-4 * Math.abs(moved[1][i]), "parameter " + i);
            norm += Math.abs(moved[0][i]);
        }
        assertTrue(norm > 0, "one full-batch SGD step moved nothing");
    }

    @Test
    void aLambdaListensToEpochsAndStatsPrintLikeTheCli() {
        Dataset data = blobs(64, 4);
        java.util.List<String> lines = new java.util.ArrayList<>();
        try (Session s = Session.create(small(), new CpuBackend(), Adam.adam(0.01), 16, 2);
             DeviceDataset d = s.upload(data)) {
            new Trainer(s, new Trainer.Config(2, 16, 2, Schedule.CONSTANT, true))
                    .fit(d, null, stats -> lines.add(stats.toString()));
        }
        assertEquals(2, lines.size());
        assertTrue(lines.get(1).matches("epoch 2  loss \\d\\.\\d{4}  train acc \\d\\.\\d{4}  lr 0\\.0100  .* samples/s"),
                lines.get(1));
    }

    @Test
    void fullBatchMiniBatchAndStochasticAllLearn() {
        Dataset data = blobs(300, 1);
        for (int batch : new int[] {300, 32, 1}) {
            Session[] s = new Session[1];
            int epochs = batch == 300 ? 60 : 8;
            TrainingReport report = train(new CpuBackend(), small(), Adam.adam(0.02), data, batch, epochs, 5, s);
            EpochStats first = report.epochs().get(0), last = report.last();
            assertTrue(last.trainLoss() < first.trainLoss() * 0.5, "batch " + batch + ": loss " + first.trainLoss()
                    + " -> " + last.trainLoss());
            assertTrue(last.heldOutAccuracy() > 0.95, "batch " + batch + ": accuracy " + last.heldOutAccuracy());
            int batches = (300 + batch - 1) / batch;
            assertEquals((long) batches * epochs, last.steps(), "one step per batch");
            s[0].close();
        }
    }

    @Test
    void cpuTrainingMatchesTheDoubleReference() {
        Dataset data = blobs(200, 2);
        Model model = Model.builder(4).dense(9, Activation.GELU).dense(7, Activation.RELU).dense(3, Activation.IDENTITY)
                .build();
        Session[] cpu = new Session[1];
        Session[] ref = new Session[1];
        train(new CpuBackend(), model, Adam.adamW(0.01), data, 17, 3, 9, cpu);
        train(new ReferenceBackend(), model, Adam.adamW(0.01), data, 17, 3, 9, ref);
        double err = Tolerances.relativeL2(cpu[0].parameters(), ref[0].parameters());
        assertTrue(err < Tolerances.TRAINING, "parameters after 36 steps: relative L2 " + err);
        for (int i = 0; i < cpu[0].stateCount(); i++) {
            double e = Tolerances.relativeL2(cpu[0].state(i), ref[0].state(i));
            assertTrue(e < Tolerances.TRAINING, "state " + i + ": relative L2 " + e);
        }
    }

    @Test
    void seededShufflingIsReproducibleAndSeedSensitive() {
        Dataset data = blobs(128, 3);
        Session[] a = new Session[1], b = new Session[1], c = new Session[1];
        train(new CpuBackend(), small(), Sgd.momentum(0.05, 0.9), data, 10, 3, 21, a);
        train(new CpuBackend(), small(), Sgd.momentum(0.05, 0.9), data, 10, 3, 21, b);
        train(new CpuBackend(), small(), Sgd.momentum(0.05, 0.9), data, 10, 3, 22, c);
        assertArrayEquals(a[0].parameters(), b[0].parameters(), "same seed, same run");
        assertFalse(Arrays.equals(a[0].parameters(), c[0].parameters()), "another seed shuffles differently");
    }

    /**
     * A 4-16-3 ReLU model whose first-layer weights are all 1 and output weights alternate in
     * sign: features of 3e38 overflow every hidden unit to +Inf, and the output becomes
     * Inf - Inf = NaN on every backend. Ordinary features stay finite.
     */
    static Session poisonable(Backend backend, int maxBatch) {
        Model model = Model.builder(4).dense(16, Activation.RELU).dense(3, Activation.IDENTITY).build();
        Session s = new Session(model, backend, Adam.adam(0.01), maxBatch, true);
        float[] p = new float[model.parameterCount()];
        Layer first = model.layers().get(0), out = model.layers().get(1);
        Arrays.fill(p, first.weightOffset(), first.weightOffset() + first.weightCount(), 1f);
        for (int i = 0; i < out.weightCount(); i++) {
            p[out.weightOffset() + i] = i % 2 == 0 ? 0.5f : -0.5f;
        }
        s.setParameters(p);
        return s;
    }

    @Test
    void nonFiniteStepsAreSkippedAndHaltTrainingWithTheBatchNamed() {
        float[] x = new float[40 * 4];
        Arrays.fill(x, 3e38f);
        Dataset data = Dataset.classification(x, 40, 4, new int[40], 3);
        Session s = poisonable(new CpuBackend(), 8);
        float[] before = s.parameters();
        s.setGuard(new StepGuard(0, 0, 3));
        try (DeviceDataset d = s.upload(data)) {
            TrainingReport report = new Trainer(s, new Trainer.Config(5, 8, 1, Schedule.CONSTANT, false))
                    .fit(d, null, null);
            assertTrue(report.halted(), "training must halt");
            assertTrue(report.haltMessage().contains("3 consecutive bad steps"), report.haltMessage());
            assertTrue(report.haltMessage().contains("epoch 1 batch 1 of 5"), report.haltMessage());
            assertTrue(report.epochs().isEmpty());
        }
        assertArrayEquals(before, s.parameters(), "skipped steps leave parameters untouched");
        assertEquals(0, s.steps());
        assertEquals(1, s.control()[Control.HALTED]);
    }

    @Test
    void isolatedBadBatchIsSkippedAndTrainingContinues() {
        Dataset good = blobs(64, 4);
        Session s = poisonable(new CpuBackend(), 64);
        s.loadBatch(good.features(), good.targets(), 64);
        s.trainBatch(64, 0.01f, 0);
        float[] after1 = s.parameters();
        float[] bad = good.features().clone();
        Arrays.fill(bad, 0, 4, 3e38f);
        s.loadBatch(bad, good.targets(), 64);
        s.trainBatch(64, 0.01f, 1);
        assertArrayEquals(after1, s.parameters(), "the non-finite batch is skipped");
        float[] c = s.control();
        assertEquals(1, c[Control.BAD_STREAK]);
        assertEquals(1, c[Control.STEP], "a skipped step does not advance t");
        s.loadBatch(good.features(), good.targets(), 64);
        s.trainBatch(64, 0.01f, 2);
        assertEquals(2, s.steps());
        assertEquals(0, s.control()[Control.BAD_STREAK]);
        assertFalse(Arrays.equals(after1, s.parameters()), "the next finite batch updates again");
    }

    @Test
    void predictAgreesWithEvaluate() {
        Dataset data = blobs(90, 6);
        Session[] s = new Session[1];
        train(new CpuBackend(), small(), Adam.adam(0.02), data, 16, 5, 3, s);
        int[] predicted = s[0].predictClasses(data.features(), data.rows());
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            correct += predicted[i] == (int) data.targets()[i] ? 1 : 0;
        }
        assertEquals(correct / 90.0, s[0].evaluate(data).accuracy(), 1e-9);
    }

    @Test
    void embeddedFashionMnistReachesEightyOnePercentInFiveEpochs() {
        DataSources.Split split = DataSources.embedded().normalized();
        Model model = Model.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).build();
        try (Session s = Session.create(model, new CpuBackend(), Adam.adam(1e-3), 64, 42);
             DeviceDataset train = s.upload(split.train());
             DeviceDataset held = s.upload(split.heldOut())) {
            TrainingReport report = new Trainer(s, new Trainer.Config(5, 64, 42, Schedule.CONSTANT, true))
                    .fit(train, held, null);
            double acc = report.last().heldOutAccuracy();
            System.out.println("[train] embedded Fashion-MNIST, 5 epochs: held-out accuracy " + acc);
            assertTrue(acc >= 0.81, "held-out accuracy " + acc + " < 0.81");
        }
    }
}
