package dev.descent.export;

import dev.descent.Checkpoint;
import dev.descent.Loss;
import dev.descent.Model;
import dev.descent.internal.AtomicFile;
import dev.descent.internal.OnnxGraph;
import java.nio.file.Path;

/**
 * A checkpoint's model as an ONNX graph (opset 13), so that ONNX Runtime, TensorRT, OpenVINO or
 * a browser runtime can serve it. The graph takes the raw features the CLI reads ({@code
 * features}, float32 [N, inputs]), applies the checkpoint's normalisation, then each dense layer
 * as MatMul + Add + activation, and returns {@code logits} (float32 [N, classes]; {@code outputs}
 * for a mean-squared-error model). Softmax is left to the caller, as descent's own loss applies
 * it. Weights are stored as descent stores them, [inputs, units], so MatMul needs no transpose.
 */
public final class OnnxExport {
    /** The operator set the graph is written against: every op used exists unchanged in 13. */
    public static final int OPSET = 13;
    /**
     * Name of the graph's input: N x input width raw features (a stored normalization is part of the graph).
     */
    public static final String INPUT = "features";

    private OnnxExport() {}

    /**
     * The name of the graph's output.
     *
     * @param model the model exported
     * @return "logits" for a cross-entropy model, else "outputs"
     */
    public static String outputName(Model model) {
        return model.loss() == Loss.SOFTMAX_CROSS_ENTROPY ? "logits" : "outputs";
    }

    /**
     * Writes the ONNX file atomically (a reader never sees half a model).
     *
     * @param checkpoint the trained model
     * @param file the destination
     */
    public static void write(Checkpoint checkpoint, Path file) {
        byte[] bytes = encode(checkpoint);
        AtomicFile.write(file, "ONNX model", out -> out.write(bytes));
    }

    /**
     * The model as an ONNX ModelProto (opset {@value #OPSET}).
     *
     * @param checkpoint the trained model
     * @return the serialized bytes
     */
    public static byte[] encode(Checkpoint checkpoint) {
        return OnnxGraph.encode(checkpoint);
    }
}
