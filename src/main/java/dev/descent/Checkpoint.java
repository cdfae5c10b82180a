package dev.descent;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A session's complete training state: architecture, optimizer name and state layout, the
 * parameter arena, every state arena, the control block (step count, NAdam's mu product...) and
 * free-form metadata (the CLI stores epochs completed, seed and batch size).
 *
 * <p>File format: "DESCENT-CKPT" magic, version, UTF fields, float arrays, then a CRC-32 of
 * everything before it. Written to a temporary file in the target directory, fsynced, then
 * renamed over the target, so a crash leaves either the old checkpoint or the new one.
 */
public final class Checkpoint {
    private static final String MAGIC = "DESCENT-CKPT";
    /** 2: the control block grew the slots that settle a step's output (v1 files are refused). */
    private static final int VERSION = 2;

    private final String architecture;
    private final String optimizer;
    private final List<String> stateNames;
    private final float[] parameters;
    private final float[][] state;
    private final float[] control;
    private final Map<String, String> metadata;

    private Checkpoint(String architecture, String optimizer, List<String> stateNames, float[] parameters,
                       float[][] state, float[] control, Map<String, String> metadata) {
        this.architecture = architecture;
        this.optimizer = optimizer;
        this.stateNames = stateNames;
        this.parameters = parameters;
        this.state = state;
        this.control = control;
        this.metadata = metadata;
    }

    /** Snapshot of {@code session} (downloads parameters, state and control). */
    public static Checkpoint of(Session session, Map<String, String> metadata) {
        float[][] state = new float[session.stateCount()][];
        for (int i = 0; i < state.length; i++) {
            state[i] = session.state(i);
        }
        return new Checkpoint(session.model().architecture(), session.optimizer().name(),
                session.optimizer().stateNames(), session.parameters(), state, session.control(),
                new LinkedHashMap<>(metadata));
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** A copy of the stored parameter arena. */
    public float[] parameters() {
        return parameters.clone();
    }

    public String architecture() {
        return architecture;
    }

    /** Loads parameters, optimizer state and control into {@code session} after checking they fit. */
    public void restore(Session session) {
        if (!architecture.equals(session.model().architecture())) {
            throw new IllegalArgumentException("checkpoint architecture " + architecture
                    + " does not match the model's " + session.model().architecture());
        }
        if (!optimizer.equals(session.optimizer().name()) || !stateNames.equals(session.optimizer().stateNames())) {
            throw new IllegalArgumentException("checkpoint optimizer " + optimizer + " " + stateNames
                    + " does not match the session's " + session.optimizer().name() + " "
                    + session.optimizer().stateNames());
        }
        session.setParameters(parameters);
        for (int i = 0; i < state.length; i++) {
            session.setState(i, state[i]);
        }
        session.setControl(control);
    }

    /** Writes atomically (see {@link dev.descent.io.AtomicFile}): a reader sees the old file or the new one. */
    public void save(Path file) {
        refuseNonFinite(file, "parameters", parameters);
        for (int i = 0; i < state.length; i++) {
            refuseNonFinite(file, "optimizer state " + stateNames.get(i), state[i]);
        }
        byte[] body = encode();
        dev.descent.io.AtomicFile.write(file, "checkpoint", out -> out.write(body));
    }

    /** The step guard keeps every value finite; should one get through anyway, no file records it. */
    private static void refuseNonFinite(Path file, String what, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalStateException("refusing to write checkpoint " + file + ": " + what + " element " + i
                        + " is " + values[i] + " (a checkpoint never holds non-finite values)");
            }
        }
    }

    private byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeUTF(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(architecture);
            out.writeUTF(optimizer);
            out.writeInt(stateNames.size());
            for (String name : stateNames) {
                out.writeUTF(name);
            }
            out.writeInt(metadata.size());
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
            writeFloats(out, control);
            writeFloats(out, parameters);
            for (float[] s : state) {
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

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4);
        buf.asFloatBuffer().put(values);
        out.write(buf.array());
    }

    /** Reads and verifies a checkpoint; any damage is an IllegalArgumentException naming the file. */
    public static Checkpoint load(Path file) {
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
        if (!startsWithMagic(all)) {
            throw new IllegalArgumentException(file + " is not a descent checkpoint");
        }
        if (all.length < 8) {
            throw new IllegalArgumentException("checkpoint " + file + " is truncated (" + all.length + " bytes)");
        }
        CRC32 crc = new CRC32();
        crc.update(all, 0, all.length - 8);
        long stored = ByteBuffer.wrap(all, all.length - 8, 8).getLong();
        if (crc.getValue() != stored) {
            throw new IllegalArgumentException("checkpoint " + file + " is corrupt: checksum mismatch");
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all, 0, all.length - 8))) {
            if (!MAGIC.equals(in.readUTF())) {
                throw new IllegalArgumentException(file + " is not a descent checkpoint");
            }
            int version = in.readInt();
            if (version < VERSION) {
                throw new IllegalArgumentException("checkpoint " + file + " was written by an older format (version "
                        + version + "); this build reads version " + VERSION + ": train again to write a new one");
            }
            if (version != VERSION) {
                throw new IllegalArgumentException("checkpoint " + file + " has version " + version
                        + "; this build reads version " + VERSION);
            }
            String architecture = in.readUTF();
            String optimizer = in.readUTF();
            String[] names = new String[in.readInt()];
            for (int i = 0; i < names.length; i++) {
                names[i] = in.readUTF();
            }
            int metaCount = in.readInt();
            Map<String, String> meta = new LinkedHashMap<>();
            for (int i = 0; i < metaCount; i++) {
                meta.put(in.readUTF(), in.readUTF());
            }
            float[] control = readFloats(in);
            float[] params = readFloats(in);
            float[][] state = new float[names.length][];
            for (int i = 0; i < names.length; i++) {
                state[i] = readFloats(in);
            }
            return new Checkpoint(architecture, optimizer, List.of(names), params, state, control, meta);
        } catch (EOFException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("checkpoint " + file + " is malformed (ends early)");
        } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint " + file + " is unreadable: " + Check.ioReason(e));
        }
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
