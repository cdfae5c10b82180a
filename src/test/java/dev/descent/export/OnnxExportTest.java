package dev.descent.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.descent.Activation;
import dev.descent.Checkpoint;
import dev.descent.DeviceDataset;
import dev.descent.Evaluation;
import dev.descent.Loss;
import dev.descent.Model;
import dev.descent.Predictor;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.Trainer;
import dev.descent.cpu.CpuBackend;
import dev.descent.data.DataSources;
import dev.descent.data.Dataset;
import dev.descent.data.Normalization;
import dev.descent.optim.Adam;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Exported ONNX models run in ONNX Runtime (the reference ONNX implementation) and compute what
 * descent computes: for every activation, with a per-column normalisation inside the graph, on
 * fresh random raw inputs of a ragged row count; and on the embedded Fashion-MNIST test set,
 * where the classes ONNX Runtime predicts give exactly evaluate's accuracy.
 */
class OnnxExportTest {
    /** Both sides are float32 with different summation orders: far under this. */
    static final double OUTPUT_TOLERANCE = 1e-5;

    private static final OrtEnvironment ORT = OrtEnvironment.getEnvironment();

    @Test
    void everyActivationMatchesDescentInOnnxRuntime() throws OrtException {
        int checked = 0;
        for (Activation act : Activation.values()) {
            Model model = Model.builder(13).dense(17, act).dense(11, act).dense(5, Activation.IDENTITY).build();
            Checkpoint ck = checkpoint(model, columns(13), 100 + act.ordinal());
            checked += compare(ck, 37, 200 + act.ordinal());
        }
        Model regression = Model.builder(6).loss(Loss.MSE).dense(9, Activation.TANH).dense(3, Activation.IDENTITY).build();
        checked += compare(checkpoint(regression, null, 7), 23, 8);
        System.out.println("[onnx] " + checked + " models compared with ONNX Runtime " + ORT.getVersion());
        assertEquals(Activation.values().length + 1, checked);
    }

    /**
     * On the 2,000 held-out images the model never trained on, ONNX Runtime's class is descent's
     * class row by row (not merely the same count of correct ones), except where descent's top
     * two logits are tied to float rounding, which is counted and must be rare.
     */
    @Test
    void onnxRuntimeGivesDescentsClassOnEveryHeldOutImage() throws OrtException {
        DataSources.Split split = DataSources.embedded();
        Model model = Model.builder(784).dense(64, Activation.RELU).dense(10, Activation.IDENTITY).build();
        Checkpoint ck;
        try (Session s = Session.create(model, new CpuBackend(), Adam.adam(1e-3), 64, 3);
             DeviceDataset train = s.upload(split.normalized().train())) {
            new Trainer(s, new Trainer.Config(1, 64, 3, Schedule.CONSTANT, true)).fit(train, null, null);
            ck = Checkpoint.of(s, Map.of()).withData(split.normalization(), split.labels());
        }
        Dataset unseen = split.heldOut();
        int rows = unseen.rows();
        float[] descent;
        Evaluation evaluate;
        try (Predictor p = Predictor.open(ck, new CpuBackend())) {
            descent = p.outputs(unseen.features(), rows);
            evaluate = p.evaluate(unseen);
        }
        float[] onnx = run(OnnxExport.encode(ck), unseen.features(), rows, unseen.cols(), "logits");
        int same = 0, tied = 0, correct = 0;
        for (int r = 0; r < rows; r++) {
            int ours = argmax(descent, r, 10);
            int theirs = argmax(onnx, r, 10);
            correct += theirs == (int) unseen.targets()[r] ? 1 : 0;
            if (ours == theirs) {
                same++;
                continue;
            }
            // Allowed only where descent's two leading logits differ by rounding (1e-5 of their size).
            float a = descent[r * 10 + ours], b = descent[r * 10 + theirs];
            assertTrue(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a)), "row " + r + ": descent class " + ours
                    + " (logit " + a + "), ONNX Runtime class " + theirs + " (descent's logit " + b + ")");
            tied++;
        }
        System.out.printf("[onnx] %d held-out images: ONNX Runtime's class equals descent's on %d, %d near-ties;"
                + " accuracy %.4f, evaluate %.4f%n", rows, same, tied, correct / (double) rows, evaluate.accuracy());
        assertEquals(2000, rows);
        assertTrue(tied <= 2, tied + " near-ties");
        assertEquals(rows, evaluate.samples());
        if (tied == 0) {
            assertEquals(Math.round(evaluate.accuracy() * evaluate.samples()), correct, "correct images, as evaluate counts them");
        }
    }

    private static int argmax(float[] logits, int row, int classes) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            best = logits[row * classes + c] > logits[row * classes + best] ? c : best;
        }
        return best;
    }

    /** descent's raw outputs against ONNX Runtime's on {@code rows} fresh random raw rows. */
    private static int compare(Checkpoint ck, int rows, long seed) throws OrtException {
        Model model = ck.model();
        Random r = new Random(seed);
        float[] x = new float[rows * model.inputWidth()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 3 + 1);
        }
        float[] expected;
        try (Predictor p = Predictor.open(ck, new CpuBackend())) {
            expected = p.outputs(x, rows);
        }
        float[] actual = run(OnnxExport.encode(ck), x, rows, model.inputWidth(), OnnxExport.outputName(model));
        assertEquals(expected.length, actual.length);
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Float.isFinite(actual[i]), "ONNX Runtime output " + i + " is " + actual[i]);
            diff += Math.pow(actual[i] - expected[i], 2);
            norm += Math.pow(expected[i], 2);
        }
        double rel = Math.sqrt(diff / norm);
        assertTrue(rel <= OUTPUT_TOLERANCE, ck.architecture() + ": relative L2 " + rel);
        return 1;
    }

    static float[] run(byte[] onnx, float[] x, int rows, int cols, String output) throws OrtException {
        try (OrtSession session = ORT.createSession(onnx, new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(ORT, FloatBuffer.wrap(x), new long[] {rows, cols});
             OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, in))) {
            OnnxTensor out = (OnnxTensor) result.get(output).orElseThrow();
            long[] shape = out.getInfo().getShape();
            assertEquals(rows, shape[0]);
            FloatBuffer fb = out.getFloatBuffer();
            float[] values = new float[fb.remaining()];
            fb.get(values);
            return values;
        }
    }

    /** Random parameters (not the initial ones: biases non-zero), the given normalisation, labels. */
    private static Checkpoint checkpoint(Model model, Normalization norm, long seed) {
        try (Session s = Session.create(model, new CpuBackend(), Adam.adam(1e-3), 8, seed)) {
            Random r = new Random(seed);
            float[] p = new float[model.parameterCount()];
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) (r.nextGaussian() * 0.4);
            }
            s.setParameters(p);
            Checkpoint ck = Checkpoint.of(s, Map.of());
            return norm == null ? ck : ck.withData(norm, List.of());
        }
    }

    private static Normalization columns(int cols) {
        float[] shift = new float[cols];
        float[] scale = new float[cols];
        for (int c = 0; c < cols; c++) {
            shift[c] = 0.3f * c - 1;
            scale[c] = 0.5f + c;
        }
        return Normalization.of(shift, scale);
    }
}
