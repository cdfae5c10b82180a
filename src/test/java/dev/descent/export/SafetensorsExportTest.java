package dev.descent.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.descent.Activation;
import dev.descent.Checkpoint;
import dev.descent.Layer;
import dev.descent.Model;
import dev.descent.Session;
import dev.descent.cpu.CpuBackend;
import dev.descent.data.Normalization;
import dev.descent.optim.Adam;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The safetensors file read back as the format defines it: PyTorch names, [out, in] weights, exact values. */
class SafetensorsExportTest {

    @Test
    void weightsArePyTorchsLinearLayoutAndBitExact() {
        Model model = Model.builder(5).dense(7, Activation.GELU).dense(3, Activation.IDENTITY).build();
        float[] arena = new float[model.parameterCount()];
        Random r = new Random(11);
        for (int i = 0; i < arena.length; i++) {
            arena[i] = (float) r.nextGaussian();
        }
        Checkpoint ck;
        try (Session s = Session.create(model, new CpuBackend(), Adam.adam(1e-3), 4, 1)) {
            s.setParameters(arena);
            ck = Checkpoint.of(s, Map.of()).withData(Normalization.uniform(0, 255), List.of("x", "y", "z"));
        }
        byte[] file = SafetensorsExport.encode(ck);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = b.getLong();
        assertEquals(0, headerLength % 8, "tensors start 8-byte aligned");
        JsonObject header = JsonParser.parseString(new String(file, 8, (int) headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        int dataStart = 8 + (int) headerLength;
        JsonObject meta = header.getAsJsonObject("__metadata__");
        assertEquals("pt", meta.get("format").getAsString());
        assertEquals("[\"x\",\"y\",\"z\"]", meta.get("class_labels").getAsString());
        assertEquals("[255.0]", meta.get("normalization_scale").getAsString());
        assertEquals(5, header.size(), "metadata and four tensors: " + header.keySet());

        long expectedOffset = 0;
        for (int i = 0; i < model.layers().size(); i++) {
            Layer l = model.layers().get(i);
            JsonObject w = header.getAsJsonObject("layers." + i + ".weight");
            assertEquals("F32", w.get("dtype").getAsString());
            assertEquals(List.of(l.units(), l.inputs()), ints(w.getAsJsonArray("shape")));
            List<Integer> wOff = ints(w.getAsJsonArray("data_offsets"));
            assertEquals(expectedOffset, (long) wOff.get(0), "tensors are contiguous, in order");
            for (int o = 0; o < l.units(); o++) {
                for (int in = 0; in < l.inputs(); in++) {
                    float stored = b.getFloat(dataStart + wOff.get(0) + 4 * (o * l.inputs() + in));
                    assertEquals(arena[l.weightOffset() + in * l.units() + o], stored, 0f, "weight[" + o + "][" + in + "]");
                }
            }
            JsonObject bias = header.getAsJsonObject("layers." + i + ".bias");
            List<Integer> bOff = ints(bias.getAsJsonArray("data_offsets"));
            assertEquals(wOff.get(1), bOff.get(0));
            for (int o = 0; o < l.units(); o++) {
                assertEquals(arena[l.biasOffset() + o], b.getFloat(dataStart + bOff.get(0) + 4 * o), 0f, "bias " + o);
            }
            expectedOffset = bOff.get(1);
        }
        assertEquals(file.length, dataStart + expectedOffset, "no bytes after the last tensor");
        assertTrue(meta.get("activations").getAsString().contains("gelu"));
    }

    private static List<Integer> ints(JsonArray a) {
        return a.asList().stream().map(e -> e.getAsInt()).toList();
    }
}
