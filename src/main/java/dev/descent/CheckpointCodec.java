package dev.descent;

import dev.descent.internal.Check;
import dev.descent.internal.Memory;
import dev.descent.data.Normalization;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.OptimizerSpecs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The checkpoint file format, version 3 (big-endian, strings in DataOutput's modified UTF-8):
 * <pre>
 * "DESCENT-CKPT" version
 * architecture init decayBiases            the model
 * map optimizer                            name and every hyperparameter ({@link OptimizerSpecs})
 * list stateNames                          must equal the optimizer's, in arena order
 * map metadata  list classLabels
 * floats normShift floats normScale        both empty when inputs were not normalised
 * floats control floats parameters floats state...
 * long crc32                               of every byte before it
 * </pre>
 * A map is a count then key/value pairs, a list a count then strings, floats a count then
 * IEEE-754 values.
 */
final class CheckpointCodec {
    private static final String MAGIC = "DESCENT-CKPT";
    /** 3: self-describing (model, optimizer hyperparameters, data). 2: control slots for the output guard. */
    static final int VERSION = 3;

    private CheckpointCodec() {}

    static byte[] encode(Checkpoint ck) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeUTF(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(ck.architecture());
            out.writeUTF(ck.model().init().name());
            out.writeBoolean(ck.decayBiases());
            writeMap(out, OptimizerSpecs.describe(ck.optimizer()));
            writeList(out, ck.optimizer().stateNames());
            writeMap(out, ck.metadata());
            writeList(out, ck.classLabels());
            Normalization n = ck.normalization().orElse(null);
            writeFloats(out, n == null ? new float[0] : n.shift());
            writeFloats(out, n == null ? new float[0] : n.scale());
            writeFloats(out, ck.controlBlock());
            writeFloats(out, ck.parameterArray());
            for (float[] s : ck.stateArrays()) {
                writeFloats(out, s);
            }
            out.flush();
            CRC32 crc = new CRC32();
            crc.update(bytes.toByteArray());
            out.writeLong(crc.getValue());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Checkpoint decode(Path file) {
        return decode(read(file), file.toString());
    }

    /** Decodes a checkpoint's bytes; {@code file} names where they came from in every message. */
    static Checkpoint decode(byte[] all, String file) {
        verify(all, file);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, 0, all.length - 8))) {
            in.readUTF();
            int version = in.readInt();
            if (version < VERSION) {
                throw new IllegalArgumentException("checkpoint " + file + " was written by an older format (version "
                        + version + "); this build reads version " + VERSION + ": train again to write a new one");
            }
            if (version != VERSION) {
                throw new IllegalArgumentException("checkpoint " + file + " has version " + version
                        + "; this build reads version " + VERSION);
            }
            Model model = Model.parse(in.readUTF(), Init.valueOf(in.readUTF()));
            boolean decayBiases = in.readBoolean();
            OptimizerSpec optimizer = OptimizerSpecs.parse(readMap(in));
            List<String> stateNames = readList(in);
            if (!stateNames.equals(optimizer.stateNames())) {
                throw new IllegalArgumentException("state buffers " + stateNames + " do not match " + optimizer.name()
                        + "'s " + optimizer.stateNames());
            }
            Map<String, String> metadata = readMap(in);
            List<String> labels = readList(in);
            float[] shift = readFloats(in);
            float[] scale = readFloats(in);
            Normalization norm = shift.length == 0 ? null : Normalization.of(shift, scale);
            float[] control = expect("control block", readFloats(in), Control.SIZE);
            float[] params = expect("parameters", readFloats(in), model.parameterCount());
            float[][] state = new float[stateNames.size()][];
            for (int i = 0; i < state.length; i++) {
                state[i] = expect(stateNames.get(i), readFloats(in), model.parameterCount());
            }
            return new Checkpoint(model, optimizer, decayBiases, params, state, control, null, List.of(), metadata)
                    .withData(norm, labels);
        } catch (EOFException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("checkpoint " + file + " is malformed (ends early)");
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint " + file + " is unreadable: " + Check.ioReason(e));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("checkpoint " + file)) {
                throw e;
            }
            throw new IllegalArgumentException("checkpoint " + file + " is malformed: " + e.getMessage());
        }
    }

    /** The file's bytes after the size, magic and CRC checks. */
    private static byte[] read(Path file) {
        byte[] all;
        try {
            if (!Files.isRegularFile(file) && Files.exists(file)) {
                throw new IllegalArgumentException("checkpoint " + file + " is not a regular file");
            }
            long size = Files.size(file);
            Memory.requireHeap(size, "checkpoint " + file + " (" + size + " bytes)");
            if (size > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("checkpoint " + file + " is " + size + " bytes, larger than any"
                        + " checkpoint descent writes");
            }
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("checkpoint " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint " + file + " is unreadable: " + Check.ioReason(e));
        }
        return all;
    }

    /** The magic, size and CRC checks. */
    private static void verify(byte[] all, String file) {
        if (!startsWithMagic(all)) {
            throw new IllegalArgumentException(file + " is not a descent checkpoint");
        }
        if (all.length < MAGIC.length() + 2 + 8) {
            throw new IllegalArgumentException("checkpoint " + file + " is truncated (" + all.length + " bytes)");
        }
        CRC32 crc = new CRC32();
        crc.update(all, 0, all.length - 8);
        long stored = ByteBuffer.wrap(all, all.length - 8, 8).getLong();
        if (crc.getValue() != stored) {
            throw new IllegalArgumentException("checkpoint " + file + " is corrupt: checksum mismatch");
        }
    }

    private static float[] expect(String what, float[] values, int length) {
        if (values.length != length) {
            throw new IllegalArgumentException(what + " has " + values.length + " values, expected " + length);
        }
        return values;
    }

    /** The first bytes of every checkpoint: writeUTF's two-byte length, then the magic. */
    private static boolean startsWithMagic(byte[] all) {
        byte[] magic = MAGIC.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (all.length < magic.length + 2 || all[0] != 0 || all[1] != magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (all[i + 2] != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static void writeMap(DataOutputStream out, Map<String, String> map) throws IOException {
        out.writeInt(map.size());
        for (Map.Entry<String, String> e : map.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    private static Map<String, String> readMap(DataInputStream in) throws IOException {
        int n = count(in);
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            map.put(in.readUTF(), in.readUTF());
        }
        return map;
    }

    private static void writeList(DataOutputStream out, List<String> list) throws IOException {
        out.writeInt(list.size());
        for (String s : list) {
            out.writeUTF(s);
        }
    }

    private static List<String> readList(DataInputStream in) throws IOException {
        int n = count(in);
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(in.readUTF());
        }
        return list;
    }

    /** A count no larger than the bytes left could hold (every entry takes at least two bytes). */
    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available() / 2) {
            throw new EOFException();
        }
        return n;
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4);
        buf.asFloatBuffer().put(values);
        out.write(buf.array());
    }

    private static float[] readFloats(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available() / 4) {
            throw new EOFException();
        }
        byte[] raw = new byte[n * 4];
        in.readFully(raw);
        float[] values = new float[n];
        ByteBuffer.wrap(raw).asFloatBuffer().get(values);
        return values;
    }
}
