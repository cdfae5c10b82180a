package dev.descent;

import dev.descent.internal.Check;
import dev.descent.data.Dataset;
import dev.descent.data.Normalization;
import java.util.List;

/**
 * A trained model for inference: the parameters of a {@link Checkpoint} in an inference-only
 * {@link Session} (no gradients, no optimizer state) on any backend. It takes raw features, the
 * same numbers the data files hold, and applies the checkpoint's input normalisation itself.
 * Inputs of any length are run in batches of {@code maxBatch} rows.
 *
 * <pre>{@code
 * try (Backend cpu = Backends.open("cpu");
 *      Predictor p = Predictor.open(Checkpoint.load(Path.of("model.ckpt")), cpu)) {
 *     int[] classes = p.classes(rows, n);
 *     float[] probabilities = p.probabilities(rows, n);   // n x p.outputWidth(), rows sum to 1
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
    /** Rows per forward pass unless the caller chooses. */
    public static final int DEFAULT_BATCH = 1024;

    private final Session session;
    private final Normalization normalization;
    private final List<String> classLabels;

    private Predictor(Session session, Normalization normalization, List<String> classLabels) {
        this.session = session;
        this.normalization = normalization;
        this.classLabels = classLabels;
    }

    /**
     * A predictor for a checkpoint's model, in batches of the default size.
     *
     * @param checkpoint a loaded checkpoint
     * @param backend where the forward passes run
     * @return the predictor; close it to free its device memory
     */
    public static Predictor open(Checkpoint checkpoint, Backend backend) {
        return open(checkpoint, backend, DEFAULT_BATCH);
    }

    /**
     * A predictor for a checkpoint's model: an inference-only session with its parameters, its
     * normalization and its class labels.
     *
     * @param checkpoint a loaded checkpoint
     * @param backend where the forward passes run
     * @param maxBatch rows per forward pass
     * @return the predictor; close it to free its device memory
     */
    public static Predictor open(Checkpoint checkpoint, Backend backend, int maxBatch) {
        Session s = Session.forInference(checkpoint.model(), backend, maxBatch);
        try {
            s.setParameters(checkpoint.parameters());
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return new Predictor(s, checkpoint.normalization().orElse(null), checkpoint.classLabels());
    }

    /**
     * The checkpoint's network.
     *
     * @return the model
     */
    public Model model() {
        return session.model();
    }

    /**
     * Features per sample.
     *
     * @return the model's input width
     */
    public int inputWidth() {
        return session.model().inputWidth();
    }

    /**
     * Outputs per sample (classes, for a classifier).
     *
     * @return the model's output width
     */
    public int outputWidth() {
        return session.model().outputWidth();
    }

    /**
     * The name of an output class.
     *
     * @param c the class index
     * @return the checkpoint's label, or the index itself
     */
    public String classLabel(int c) {
        Check.index("class", c, outputWidth());
        return classLabels.isEmpty() ? Integer.toString(c) : classLabels.get(c);
    }

    /**
     * The network's raw outputs.
     *
     * @param rawFeatures features as the training data had them, before normalization;
     *                    rows x {@link #inputWidth()}
     * @param rows samples
     * @return logits for a cross-entropy model, {@code rows x outputWidth()}
     */
    public float[] outputs(float[] rawFeatures, int rows) {
        Check.atLeast("rows", rows, 1);
        Check.length("features", rawFeatures, Math.multiplyExact(rows, inputWidth()));
        float[] x = normalization == null ? rawFeatures : normalization.applied(rawFeatures, inputWidth());
        return session.predict(x, rows);
    }

    /**
     * Softmax of the outputs per row, computed in double and rounded: each row sums to 1.
     *
     * @param rawFeatures features as the training data had them, before normalization;
     *                    rows x {@link #inputWidth()}
     * @param rows samples
     * @return {@code rows x outputWidth()} probabilities
     */
    public float[] probabilities(float[] rawFeatures, int rows) {
        return softmax(outputs(rawFeatures, rows), outputWidth());
    }

    /**
     * The most probable class of each row (the first, on a tie).
     *
     * @param rawFeatures features as the training data had them, before normalization;
     *                    rows x {@link #inputWidth()}
     * @param rows samples
     * @return one class index per row
     */
    public int[] classes(float[] rawFeatures, int rows) {
        return argmax(outputs(rawFeatures, rows), outputWidth());
    }

    /**
     * Classes and probabilities of every row.
     *
     * @param classes one class index per row
     * @param probabilities rows x output width
     */
    public record Predictions(int[] classes, float[] probabilities) {}

    /**
     * {@link #classes} and {@link #probabilities} from one forward pass.
     *
     * @param rawFeatures features as the training data had them, before normalization;
     *                    rows x {@link #inputWidth()}
     * @param rows samples
     * @return both
     */
    public Predictions predict(float[] rawFeatures, int rows) {
        float[] out = outputs(rawFeatures, rows);
        return new Predictions(argmax(out, outputWidth()), softmax(out, outputWidth()));
    }

    /**
     * Mean loss and accuracy, as {@link Session#evaluate} reports them.
     *
     * @param rawData labelled data, before normalization
     * @return loss and accuracy
     */
    public Evaluation evaluate(Dataset rawData) {
        return session.evaluate(normalization == null ? rawData : rawData.normalized(normalization));
    }

    static float[] softmax(float[] logits, int width) {
        float[] p = new float[logits.length];
        for (int r = 0; r < logits.length / width; r++) {
            int base = r * width;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < width; c++) {
                max = Math.max(max, logits[base + c]);
            }
            double sum = 0;
            for (int c = 0; c < width; c++) {
                sum += Math.exp(logits[base + c] - max);
            }
            for (int c = 0; c < width; c++) {
                p[base + c] = (float) (Math.exp(logits[base + c] - max) / sum);
            }
        }
        return p;
    }

    static int[] argmax(float[] values, int width) {
        int[] best = new int[values.length / width];
        for (int r = 0; r < best.length; r++) {
            int base = r * width;
            for (int c = 1; c < width; c++) {
                if (values[base + c] > values[base + best[r]]) {
                    best[r] = c;
                }
            }
        }
        return best;
    }

    @Override
    public void close() {
        session.close();
    }
}
