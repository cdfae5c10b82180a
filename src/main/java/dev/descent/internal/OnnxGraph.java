package dev.descent.internal;

import com.google.protobuf.ByteString;
import dev.descent.Activation;
import dev.descent.Checkpoint;
import dev.descent.Layer;
import dev.descent.Loss;
import dev.descent.Model;
import dev.descent.data.Normalization;
import dev.descent.export.OnnxExport;
import dev.descent.internal.onnx.OnnxProto.AttributeProto;
import dev.descent.internal.onnx.OnnxProto.GraphProto;
import dev.descent.internal.onnx.OnnxProto.ModelProto;
import dev.descent.internal.onnx.OnnxProto.NodeProto;
import dev.descent.internal.onnx.OnnxProto.OperatorSetIdProto;
import dev.descent.internal.onnx.OnnxProto.StringStringEntryProto;
import dev.descent.internal.onnx.OnnxProto.TensorProto;
import dev.descent.internal.onnx.OnnxProto.TensorShapeProto;
import dev.descent.internal.onnx.OnnxProto.TypeProto;
import dev.descent.internal.onnx.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds the ONNX graph {@link OnnxExport} documents, with the protobuf classes generated from
 * src/main/proto/onnx.proto. Kept out of the API package so that its javadoc needs no generated
 * sources (and so the generated classes are not API).
 */
public final class OnnxGraph {
    /** IR version 7 is the one ONNX pairs with opset 13. */
    static final long IR_VERSION = 7;

    private OnnxGraph() {}

    /**
     * The model as a serialized ONNX ModelProto.
     *
     * @param checkpoint the trained model
     * @return the bytes
     */
    public static byte[] encode(Checkpoint checkpoint) {
        Model model = checkpoint.model();
        float[] arena = checkpoint.parameters();
        GraphProto.Builder graph = GraphProto.newBuilder().setName("descent_mlp")
                .setDocString("descent " + checkpoint.architecture());
        graph.addInput(tensorInfo(OnnxExport.INPUT, model.inputWidth()));
        String x = OnnxExport.INPUT;
        if (checkpoint.normalization().isPresent()) {
            Normalization n = checkpoint.normalization().get();
            graph.addInitializer(tensor("normalization.shift", n.shift(), n.width()));
            graph.addInitializer(tensor("normalization.scale", n.scale(), n.width()));
            graph.addNode(node("Sub", List.of(x, "normalization.shift"), "normalization.shifted"));
            graph.addNode(node("Div", List.of("normalization.shifted", "normalization.scale"), "normalized"));
            x = "normalized";
        }
        List<Layer> layers = model.layers();
        boolean geluConstants = false;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String p = "layers." + i;
            boolean last = i == layers.size() - 1;
            graph.addInitializer(tensor(p + ".weight", slice(arena, l.weightOffset(), l.weightCount()), l.inputs(),
                    l.units()));
            graph.addInitializer(tensor(p + ".bias", slice(arena, l.biasOffset(), l.units()), l.units()));
            graph.addNode(node("MatMul", List.of(x, p + ".weight"), p + ".matmul"));
            String out = last ? OnnxExport.outputName(model) : p + ".out";
            String z = l.activation() == Activation.IDENTITY ? out : p + ".z";
            graph.addNode(node("Add", List.of(p + ".matmul", p + ".bias"), z));
            if (l.activation() == Activation.GELU && !geluConstants) {
                graph.addInitializer(scalar("gelu.a", (float) Activation.GELU_A));
                graph.addInitializer(scalar("gelu.c", (float) Activation.GELU_C));
                graph.addInitializer(scalar("half", 0.5f));
                graph.addInitializer(scalar("one", 1f));
                geluConstants = true;
            }
            activation(graph, l.activation(), z, out, p);
            x = out;
        }
        graph.addOutput(tensorInfo(OnnxExport.outputName(model), model.outputWidth()));
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("descent")
                .setProducerVersion(dev.descent.internal.BuildInfo.version()).setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OnnxExport.OPSET))
                .setDocString("Exported by descent from a checkpoint of " + checkpoint.architecture()
                        + ". Input: raw features; the training normalisation is applied inside the graph.");
        m.addMetadataProps(entry("architecture", checkpoint.architecture()));
        if (!checkpoint.classLabels().isEmpty()) {
            m.addMetadataProps(entry("class_labels", new com.google.gson.Gson().toJson(checkpoint.classLabels())));
        }
        return m.build().toByteArray();
    }

    /** Appends the nodes for {@code act} from {@code z} to {@code out}; nothing for identity. */
    private static void activation(GraphProto.Builder graph, Activation act, String z, String out, String p) {
        switch (act) {
            case IDENTITY:
                return;
            case RELU:
                graph.addNode(node("Relu", List.of(z), out));
                return;
            case SIGMOID:
                graph.addNode(node("Sigmoid", List.of(z), out));
                return;
            case TANH:
                graph.addNode(node("Tanh", List.of(z), out));
                return;
            case LEAKY_RELU:
                graph.addNode(node("LeakyRelu", List.of(z), out).toBuilder().addAttribute(AttributeProto.newBuilder()
                        .setName("alpha").setType(AttributeProto.AttributeType.FLOAT).setF((float) Activation.LEAKY_SLOPE)));
                return;
            case GELU:
                // descent's GELU is the tanh form: 0.5 z (1 + tanh(c (z + a z^3))). Gelu itself is opset 20.
                graph.addNode(node("Mul", List.of(z, z), p + ".gelu.z2"));
                graph.addNode(node("Mul", List.of(p + ".gelu.z2", z), p + ".gelu.z3"));
                graph.addNode(node("Mul", List.of(p + ".gelu.z3", "gelu.a"), p + ".gelu.az3"));
                graph.addNode(node("Add", List.of(z, p + ".gelu.az3"), p + ".gelu.inner"));
                graph.addNode(node("Mul", List.of(p + ".gelu.inner", "gelu.c"), p + ".gelu.u"));
                graph.addNode(node("Tanh", List.of(p + ".gelu.u"), p + ".gelu.t"));
                graph.addNode(node("Add", List.of(p + ".gelu.t", "one"), p + ".gelu.onePlusT"));
                graph.addNode(node("Mul", List.of(z, "half"), p + ".gelu.halfZ"));
                graph.addNode(node("Mul", List.of(p + ".gelu.halfZ", p + ".gelu.onePlusT"), out));
                return;
            default:
                throw new IllegalArgumentException("no ONNX form for activation " + act);
        }
    }

    private static NodeProto node(String op, List<String> inputs, String output) {
        return NodeProto.newBuilder().setOpType(op).addAllInput(inputs).addOutput(output).setName(output).build();
    }

    private static float[] slice(float[] arena, int offset, int count) {
        return java.util.Arrays.copyOfRange(arena, offset, offset + count);
    }

    static TensorProto tensor(String name, float[] values, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(raw.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    private static TensorProto scalar(String name, float value) {
        return tensor(name, new float[] {value});
    }

    /** float32 [N, width] with N symbolic, so any batch size runs. */
    private static ValueInfoProto tensorInfo(String name, int width) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
