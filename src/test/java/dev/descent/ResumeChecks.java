package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cli.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The README's promise that {@code train --resume} continues a run bit-exactly, checked through
 * the CLI on a named backend: the checkpoint of an uninterrupted run and that of a run stopped
 * and resumed must hold the same parameters, optimizer state and control block, bit for bit
 * (not the same four printed digits).
 */
public final class ResumeChecks {
    private ResumeChecks() {}

    /**
     * Runs {@code train --backend backend} three ways on a small generated CSV (so the emulated
     * CUDA driver finishes in seconds) and compares the checkpoints. Returns the floats compared.
     */
    public static int cliResumeIsBitExact(String backend, Path dir) {
        Path csv = threeClassCsv(dir.resolve("resume.csv"));
        Path straight = dir.resolve("straight.ckpt");
        Path stopped = dir.resolve("stopped.ckpt");
        Path extendedCk = dir.resolve("extended.ckpt");
        // The default cosine schedule spans --epochs: an interrupted run resumed to the same --epochs.
        train(backend, csv, "--epochs", "3", "--checkpoint", straight.toString());
        train(backend, csv, "--epochs", "3", "--stop-after", "1", "--checkpoint", stopped.toString());
        train(backend, null, "--resume", stopped.toString(), "--checkpoint", stopped.toString());
        int compared = sameTrainingState(Checkpoint.load(straight), Checkpoint.load(stopped), backend + ", stopped at 1 of 3");
        // A constant schedule is the one a resumed run may extend: 1 epoch planned, then --epochs 3.
        Path constant = dir.resolve("constant.ckpt");
        train(backend, csv, "--epochs", "3", "--schedule", "constant", "--checkpoint", constant.toString());
        train(backend, csv, "--epochs", "1", "--schedule", "constant", "--checkpoint", extendedCk.toString());
        train(backend, null, "--resume", extendedCk.toString(), "--epochs", "3", "--checkpoint", extendedCk.toString());
        compared += sameTrainingState(Checkpoint.load(constant), Checkpoint.load(extendedCk), backend + ", extended 1 to 3");
        return compared;
    }

    /** Parameters, every optimizer state array and the control block, bit for bit. */
    static int sameTrainingState(Checkpoint expected, Checkpoint actual, String what) {
        assertEquals("3", actual.metadata().get("epochs_completed"), what);
        assertArrayEquals(expected.parameterArray(), actual.parameterArray(), what + ": parameters");
        float[][] a = expected.stateArrays();
        float[][] b = actual.stateArrays();
        assertEquals(a.length, b.length, what + ": state count");
        int compared = expected.parameterArray().length;
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i], b[i], what + ": optimizer state " + i);
            compared += a[i].length;
        }
        assertArrayEquals(expected.controlBlock(), actual.controlBlock(), what + ": control block");
        assertTrue(expected.controlBlock()[Control.STEP] > 0, what + ": no step was taken");
        return compared + Control.SIZE;
    }

    private static void train(String backend, Path csv, String... options) {
        List<String> args = new ArrayList<>(List.of("train", "--quiet", "--backend", backend));
        if (csv != null) {
            args.addAll(List.of("--csv", csv.toString(), "--hidden", "12,7", "--batch-size", "16", "--optimizer",
                    "nadam", "--lr", "0.01"));
        }
        args.addAll(List.of(options));
        int code = Main.run(args.toArray(new String[0]));
        assertEquals(0, code, String.join(" ", args));
    }

    /** 150 rows, 5 features, 3 Gaussian classes, fixed seed. */
    static Path threeClassCsv(Path file) {
        Random r = new Random(35);
        StringBuilder sb = new StringBuilder("label,a,b,c,d,e\n");
        for (int i = 0; i < 150; i++) {
            int c = i % 3;
            sb.append(c);
            for (int f = 0; f < 5; f++) {
                sb.append(String.format(Locale.ROOT, ",%.4f", (f == c ? 2.0 : 0.0) + r.nextGaussian()));
            }
            sb.append('\n');
        }
        try {
            return Files.writeString(file, sb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
