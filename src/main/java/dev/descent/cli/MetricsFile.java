package dev.descent.cli;

import com.google.gson.Gson;
import dev.descent.EpochStats;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --metrics FILE.jsonl}: one JSON object per epoch, written and flushed as the epoch ends
 * so another program can follow the run. A resumed run appends to the file; a new run replaces
 * it. Figures that do not exist (no held-out set, an epoch whose every step was skipped) are null.
 */
final class MetricsFile implements AutoCloseable {
    private final Gson gson = new Gson();
    private final BufferedWriter out;
    private final String heldOutName;

    /** {@code heldOutName}: "val" when the per-epoch figures come from --val-split, else "held_out". */
    MetricsFile(Path file, boolean append, String heldOutName) {
        this.heldOutName = heldOutName;
        try {
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("--metrics " + file + ": " + dev.descent.internal.Check.ioReason(e), e);
        }
    }

    void write(EpochStats s) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("epoch", s.epoch());
        line.put("train_loss", finite(s.trainLoss()));
        line.put("train_accuracy", finite(s.trainAccuracy()));
        line.put(heldOutName + "_loss", finite(s.heldOutLoss()));
        line.put(heldOutName + "_accuracy", finite(s.heldOutAccuracy()));
        line.put("lr", s.lr());
        line.put("seconds", s.seconds());
        line.put("samples_per_s", s.samplesPerSecond());
        line.put("skipped_steps", s.epochBadSteps());
        line.put("steps", s.steps());
        try {
            out.write(gson.toJson(line));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("--metrics: " + dev.descent.internal.Check.ioReason(e), e);
        }
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("--metrics: " + dev.descent.internal.Check.ioReason(e), e);
        }
    }
}
