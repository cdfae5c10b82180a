package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.data.Dataset;
import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The step guard on the update's output, run by every backend's suite (cpu, reference, OpenCL,
 * the CUDA emulator and JCuda on the emulated driver): an update that would make an element
 * non-finite keeps that element's previous values, updates the others, counts as a bad step,
 * and a run of such steps halts with finite parameters and a message that says so. Each method
 * returns the number of checks it made.
 */
public final class GuardChecks {
    private GuardChecks() {}

    /**
     * Every rule (and variant with its own state) with a weight decay so large that the decayed
     * tensor's update overflows float32, while the undecayed tensor updates normally.
     */
    public static final List<OptimizerSpec> OVERFLOWING = List.of(
            new Sgd(0.1, 0, 0, false, 3e38),
            new Sgd(0.1, 0.9, 0, true, 3e38),
            Adam.adam(0.01).withWeightDecay(3e38),
            Adam.adam(0.01).withAmsgrad(true).withWeightDecay(3e38),
            new Adagrad(0.05, 0, 3e38, 0, 1e-10),
            new RmsProp(0.01, 0.99, 1e-8, 3e38, 0, false),
            new RmsProp(0.01, 0.9, 1e-8, 3e38, 0.5, true),
            new Adadelta(1.0, 0.9, 1e-6, 3e38),
            new NAdam(0.01, 0.9, 0.999, 1e-8, 3e38, 4e-3),
            new RAdam(0.01, 0.9, 0.999, 1e-8, 3e38));

    /** Elements in each tensor: ragged, and longer than one float4 / span so every path runs. */
    private static final int N = 1037;

    public static int overflowingUpdatesAreHeldBack(Backend backend, long seed) {
        int checks = 0;
        Random r = new Random(seed);
        for (OptimizerSpec spec : OVERFLOWING) {
            float[] decayed = new float[N];
            float[] plain = new float[N];
            float[] gd = new float[N];
            float[] gp = new float[N];
            for (int i = 0; i < N; i++) {
                // 3e38 * 100 overflows the gradient term, in float and (for the reference) as a float result
                decayed[i] = 100f + r.nextFloat();
                plain[i] = (float) r.nextGaussian();
                gd[i] = (float) r.nextGaussian();
                gp[i] = (float) r.nextGaussian();
            }
            try (ParameterSet ps = ParameterSet.builder(backend, spec).add(decayed).addNoDecay(plain).build()) {
                ps.setGuard(new StepGuard(0, 0, 3));
                ps.setGradients(gd, gp);
                ps.step();
                String name = backend.name() + " " + spec;
                assertTrue(ps.lastStepOverflowed(), name + ": the update must flag its non-finite output");
                assertArrayEquals(decayed, ps.download(0), name + ": overflowing elements keep their values");
                float[] updated = ps.download(1);
                assertAllFinite(name + " updated tensor", updated);
                assertNotEquals(plain[0], updated[0], name + ": finite elements are updated");
                for (int s = 0; s < spec.stateCount(); s++) {
                    assertAllFinite(name + " state " + s, ps.downloadState(s, 0));
                    assertAllFinite(name + " state " + s, ps.downloadState(s, 1));
                }
                assertEquals(1, ps.badSteps(), name + ": counted as one bad step");
                assertEquals(1, ps.steps(), name + ": the step was applied (in part)");
                // Two more such steps make three in a row: the guard halts and skips from then on.
                ps.step();
                ps.step();
                ps.step();
                assertTrue(ps.lastStepSkipped(), name + ": halted after three consecutive bad steps");
                assertEquals(3, ps.badSteps(), name + ": bad steps");
                assertArrayEquals(decayed, ps.download(0), name + ": still untouched");
                assertAllFinite(name + " after halting", ps.download(1));
                checks += 10;
            }
        }
        return checks;
    }

    /**
     * A training run whose weight decay overflows on the first step halts with finite parameters,
     * the message names the kind of bad step, and the session can be checkpointed.
     */
    public static int divergingRunHaltsWithFiniteParameters(Supplier<? extends Backend> device, Path dir) {
        Random r = new Random(5);
        int rows = 96;
        float[] x = new float[rows * 6];
        int[] y = new int[rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < rows; i++) {
            y[i] = i % 3;
        }
        Dataset data = Dataset.classification(x, rows, 6, y, 3);
        Model model = Model.builder(6).dense(8, Activation.RELU).dense(3, Activation.IDENTITY).build();
        try (Backend be = device.get();
             Session s = Session.create(model, be, new Sgd(10, 0, 0, false, 1e38), 16, 3);
             DeviceDataset d = s.upload(data)) {
            s.setGuard(new StepGuard(0, 0, 4));
            TrainingReport report = new Trainer(s, new Trainer.Config(3, 16, 1, Schedule.CONSTANT, true))
                    .fit(d, d, null);
            String name = be.name();
            assertTrue(report.halted(), name + ": the run must halt");
            assertTrue(report.haltMessage().contains("4 consecutive bad steps"), report.haltMessage());
            assertTrue(report.haltMessage().contains("epoch 1 batch 1 of 6"), report.haltMessage());
            // The first step's update overflows; whether the next ones do too, or are skipped for
            // a non-finite loss, depends on float rounding (the double reference differs here).
            assertTrue(report.haltMessage().contains("had an update that would have made"), report.haltMessage());
            assertTrue(report.haltMessage().contains("after step " + s.steps() + ","), report.haltMessage());
            assertTrue(s.steps() >= 1, name + ": the overflowing step was applied in part");
            assertFalse(report.haltMessage().contains("NaN"), report.haltMessage());
            assertAllFinite(name + " parameters", s.parameters());
            Path file = dir.resolve(name + ".ckpt");
            Checkpoint.of(s, Map.of()).save(file);
            Checkpoint.load(file);
            return 6;
        }
    }

    public static void assertAllFinite(String what, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new AssertionError(what + ": element " + i + " is " + values[i]);
            }
        }
    }
}
