package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.CpuBackend;
import dev.descent.data.Normalization;
import dev.descent.optim.Adam;
import dev.descent.verify.Tolerances;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/** Inference from a checkpoint on any backend matches the double-precision reference backend's. */
public final class PredictorChecks {
    private PredictorChecks() {}

    /**
     * A checkpoint with random parameters and a per-column normalisation: the predictor's
     * outputs on {@code open}'s backend, over more rows than one batch, agree with the reference's to the
     * training tolerance, and the predicted classes are identical where the reference's top two logits
     * are not nearly tied.
     */
    public static int matchesCpu(Supplier<? extends Backend> open) {
        Model model = Model.builder(13).dense(17, Activation.SIGMOID).dense(5, Activation.IDENTITY).build();
        Checkpoint ck;
        try (Session s = Session.create(model, new CpuBackend(), Adam.adam(1e-3), 8, 21)) {
            float[] shift = new float[13];
            float[] scale = new float[13];
            java.util.Arrays.fill(scale, 4f);
            ck = Checkpoint.of(s, Map.of()).withData(Normalization.of(shift, scale), java.util.List.of());
        }
        int rows = 45;
        float[] raw = new float[rows * 13];
        Random r = new Random(22);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (float) (r.nextGaussian() * 8);
        }
        float[] expected;
        try (Backend cpu = new dev.descent.cpu.ReferenceBackend(); Predictor p = Predictor.open(ck, cpu, 16)) {
            expected = p.outputs(raw, rows);
        }
        try (Backend be = open.get(); Predictor p = Predictor.open(ck, be, 16)) {
            float[] out = p.outputs(raw, rows);
            assertTrue(Tolerances.relativeL2(out, expected) < Tolerances.TRAINING, be.name() + " predictor outputs");
            assertArrayEquals(Predictor.argmax(expected, 5), p.classes(raw, rows), be.name() + " predicted classes");
        }
        return 1;
    }
}
