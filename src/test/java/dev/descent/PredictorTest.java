package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.CpuBackend;
import dev.descent.cpu.ReferenceBackend;
import dev.descent.data.Dataset;
import dev.descent.data.Normalization;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.OptimizerSpecs;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;
import dev.descent.verify.Tolerances;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Self-describing checkpoints and inference without an optimizer. */
class PredictorTest {
    @TempDir
    Path dir;

    private static final Model MODEL = Model.builder(7).init(Init.XAVIER_NORMAL).dense(11, Activation.GELU)
            .dense(9, Activation.TANH).dense(4, Activation.IDENTITY).build();

    /** A checkpoint of a briefly trained session, with a per-column normalisation and labels. */
    private Checkpoint trained(OptimizerSpec spec, Normalization norm) {
        Random r = new Random(7);
        float[] x = new float[60 * 7];
        int[] y = new int[60];
        for (int i = 0; i < 60; i++) {
            y[i] = r.nextInt(4);
            for (int c = 0; c < 7; c++) {
                x[i * 7 + c] = (float) (r.nextGaussian() + (c == y[i] ? 2 : 0));
            }
        }
        Dataset four = Dataset.classification(x, 60, 7, y, 4);
        try (Session s = new Session(MODEL, new CpuBackend(), spec, 16, false)) {
            s.setParameters(MODEL.initialParameters(5));
            try (DeviceDataset d = s.upload(four.normalized(norm))) {
                new Trainer(s, new Trainer.Config(2, 16, 1, Schedule.CONSTANT, true)).fit(d, null, null);
            }
            return Checkpoint.of(s, Map.of("k", "v")).withData(norm, List.of("a", "b,c", "d", "e"));
        }
    }

    private static Normalization columns() {
        float[] shift = new float[7];
        float[] scale = new float[7];
        for (int c = 0; c < 7; c++) {
            shift[c] = 0.1f * c;
            scale[c] = 1 + c;
        }
        return Normalization.of(shift, scale);
    }

    @Test
    void everyOptimizerSpecSurvivesTheRoundTripExactly() {
        OptimizerSpec[] specs = {new Sgd(0.013, 0.9, 0.1, false, 1e-4), new Sgd(0.01, 0.9, 0, true, 0),
            Adam.adamW(3e-4).withAmsgrad(true), new RmsProp(1e-3, 0.95, 1e-7, 0.01, 0.5, true),
            new Adagrad(0.02, 1e-3, 0, 0.1, 1e-10)};
        for (OptimizerSpec s : specs) {
            assertEquals(s, OptimizerSpecs.parse(OptimizerSpecs.describe(s)));
        }
        String msg = assertThrows(IllegalArgumentException.class,
                () -> OptimizerSpecs.parse(Map.of("name", "adam", "lr", "0.1"))).getMessage();
        assertTrue(msg.contains("optimizer adam has no beta1"), msg);
    }

    @Test
    void checkpointAloneRebuildsModelOptimizerAndDataDescription() {
        OptimizerSpec spec = new RmsProp(2e-3, 0.9, 1e-8, 0.01, 0.3, true);
        Checkpoint ck = trained(spec, columns());
        Path file = dir.resolve("self.ckpt");
        ck.save(file);
        Checkpoint back = Checkpoint.load(file);
        assertEquals(MODEL.architecture(), back.model().architecture());
        assertEquals(Init.XAVIER_NORMAL, back.model().init());
        assertEquals(spec, back.optimizer());
        assertEquals(false, back.decayBiases());
        assertArrayEquals(columns().scale(), back.normalization().orElseThrow().scale());
        assertEquals(List.of("a", "b,c", "d", "e"), back.classLabels());
        assertEquals("v", back.metadata().get("k"));
        // A session opened from the file alone continues exactly as the original would.
        try (Session a = ck.openSession(new CpuBackend(), 16); Session b = back.openSession(new CpuBackend(), 16)) {
            float[] x = new float[16 * 7];
            float[] y = new float[16];
            Random r = new Random(3);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            for (Session s : new Session[] {a, b}) {
                s.loadBatch(x, y, 16);
                s.trainBatch(16, 1e-3f, 0);
            }
            assertArrayEquals(a.parameters(), b.parameters());
            assertArrayEquals(a.state(2), b.state(2));
            assertEquals(ck.metadata(), back.metadata());
        }
    }

    @Test
    void predictorNormalisesRawInputsAndBatchesLongInputs() {
        Checkpoint ck = trained(Adam.adam(0.01), columns());
        int rows = 37;
        float[] raw = new float[rows * 7];
        Random r = new Random(9);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (float) (r.nextGaussian() * 3 + 1);
        }
        float[] expected;
        try (Session s = Session.create(MODEL, new CpuBackend(), Adam.adam(0.01), 64, 1)) {
            s.setParameters(ck.parameters());
            expected = s.predict(columns().applied(raw, 7), rows);
        }
        for (Supplier<Backend> open : List.<Supplier<Backend>>of(CpuBackend::new, ReferenceBackend::new)) {
            try (Backend be = open.get(); Predictor p = Predictor.open(ck, be, 8)) {
                float[] out = p.outputs(raw, rows);
                assertTrue(Tolerances.relativeL2(out, expected) < Tolerances.TRAINING, be.name() + " outputs");
                float[] prob = p.probabilities(raw, rows);
                int[] classes = p.classes(raw, rows);
                for (int i = 0; i < rows; i++) {
                    double sum = 0;
                    int best = 0;
                    for (int c = 0; c < 4; c++) {
                        sum += prob[i * 4 + c];
                        best = prob[i * 4 + c] > prob[i * 4 + best] ? c : best;
                    }
                    assertEquals(1.0, sum, 1e-6, "row " + i + " probabilities");
                    assertEquals(best, classes[i], "row " + i + " class");
                }
                assertEquals("b,c", p.classLabel(1));
            }
        }
    }

    @Test
    void inferenceSessionHasNoOptimizerAndRefusesTraining() {
        try (CpuBackend be = new CpuBackend(); Session s = Session.forInference(MODEL, be, 8)) {
            assertTrue(s.isInferenceOnly());
            assertEquals(0, s.stateCount());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.trainBatch(8, 0.1f, 0));
            assertTrue(e.getMessage().contains("inference-only"), e.getMessage());
            assertThrows(IllegalStateException.class, s::optimizer);
            assertThrows(IllegalStateException.class, () -> Checkpoint.of(s, Map.of()));
            s.setParameters(MODEL.initialParameters(2));
            assertEquals(8 * 4, s.predict(new float[8 * 7], 8).length);
        }
    }
}
