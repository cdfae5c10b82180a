package dev.descent.export;

import com.google.gson.Gson;
import dev.descent.Checkpoint;
import dev.descent.Layer;
import dev.descent.data.Normalization;
import dev.descent.internal.AtomicFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's weights as a safetensors file that PyTorch loads into the equivalent
 * {@code nn.Sequential} of {@code nn.Linear} layers: tensors {@code layers.I.weight} in
 * PyTorch's [out, in] layout (descent stores [in, out], so each is transposed) and
 * {@code layers.I.bias}, float32. The normalisation, architecture and class labels go into the
 * header's {@code __metadata__} (strings only, as the format requires), not into tensors, so
 * {@code load_state_dict(strict=True)} sees exactly the layer parameters.
 *
 * <p>Layout: an 8-byte little-endian header length, the JSON header (padded with spaces to a
 * multiple of 8, so every tensor starts aligned), then the tensors' little-endian bytes.
 */
public final class SafetensorsExport {
    private SafetensorsExport() {}

    /**
     * Writes the safetensors file atomically.
     *
     * @param checkpoint the trained model
     * @param file the destination
     */
    public static void write(Checkpoint checkpoint, Path file) {
        byte[] bytes = encode(checkpoint);
        AtomicFile.write(file, "safetensors file", out -> out.write(bytes));
    }

    /**
     * The model's tensors in the safetensors layout.
     *
     * @param checkpoint the trained model
     * @return the file's bytes
     */
    public static byte[] encode(Checkpoint checkpoint) {
        float[] arena = checkpoint.parameters();
        List<Layer> layers = checkpoint.model().layers();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", metadata(checkpoint));
        long offset = 0;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            offset = entry(header, "layers." + i + ".weight", List.of(l.units(), l.inputs()), offset, l.weightCount());
            offset = entry(header, "layers." + i + ".bias", List.of(l.units()), offset, l.units());
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (Layer l : layers) {
            for (int o = 0; o < l.units(); o++) {       // row o of W^T is column o of descent's W
                for (int in = 0; in < l.inputs(); in++) {
                    out.putFloat(arena[l.weightOffset() + in * l.units() + o]);
                }
            }
            for (int o = 0; o < l.units(); o++) {
                out.putFloat(arena[l.biasOffset() + o]);
            }
        }
        return out.array();
    }

    private static long entry(Map<String, Object> header, String name, List<Integer> shape, long offset, long count) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("dtype", "F32");
        t.put("shape", shape);
        t.put("data_offsets", List.of(offset, offset + count * 4));
        header.put(name, t);
        return offset + count * 4;
    }

    private static Map<String, String> metadata(Checkpoint ck) {
        Gson gson = new Gson();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("producer", "descent " + dev.descent.internal.BuildInfo.version());
        m.put("architecture", ck.architecture());
        List<String> activations = ck.model().layers().stream().map(l -> l.activation().name().toLowerCase()).toList();
        m.put("activations", gson.toJson(activations));
        if (!ck.classLabels().isEmpty()) {
            m.put("class_labels", gson.toJson(ck.classLabels()));
        }
        if (ck.normalization().isPresent()) {
            Normalization n = ck.normalization().get();
            m.put("normalization", "inputs are (x - shift) / scale before layers.0");
            m.put("normalization_shift", gson.toJson(n.shift()));
            m.put("normalization_scale", gson.toJson(n.scale()));
        }
        return m;
    }
}
