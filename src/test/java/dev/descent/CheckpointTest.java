package dev.descent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.CpuBackend;
import dev.descent.data.Dataset;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.Sgd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    private static Trainer.Config config(int epochs, OptimizerSpec spec) {
        return new Trainer.Config(epochs, 16, 77, Schedule.warmup(1, Schedule.cosine(0.1)), true);
    }

    /** Trains {@code epochs} straight, or {@code split} epochs + checkpoint + a fresh session resuming the rest. */
    private float[][] run(OptimizerSpec spec, int epochs, int split) {
        Dataset data = TrainerTest.blobs(100, 8);
        Model model = TrainerTest.small();
        Path file = dir.resolve("ck-" + spec.name() + "-" + split + ".bin");
        if (split > 0) {
            try (Session s = Session.create(model, new CpuBackend(), spec, 16, 3); DeviceDataset d = s.upload(data)) {
                new Trainer(s, config(epochs, spec)).fit(d, null, new TrainingListener() {
                    @Override
                    public void onEpoch(EpochStats stats) {
                        if (stats.epoch() == split) {
                            Checkpoint.of(s, Map.of("epochs_completed", "" + split)).save(file);
                        }
                    }
                });
            }
        }
        // The resumed session starts from different weights: everything must come from the file.
        try (Session s = Session.create(model, new CpuBackend(), spec, 16, split > 0 ? 999 : 3);
             DeviceDataset d = s.upload(data)) {
            int start = 0;
            if (split > 0) {
                Checkpoint ck = Checkpoint.load(file);
                ck.restore(s);
                start = Integer.parseInt(ck.metadata().get("epochs_completed"));
            }
            new Trainer(s, config(epochs, spec)).fit(d, null, null, start);
            float[][] out = new float[1 + s.stateCount()][];
            out[0] = s.parameters();
            for (int i = 0; i < s.stateCount(); i++) {
                out[1 + i] = s.state(i);
            }
            return out;
        }
    }

    @Test
    void resumingReproducesTheUninterruptedRunBitForBit() {
        for (OptimizerSpec spec : new OptimizerSpec[] {Adam.adamW(0.01).withAmsgrad(true), NAdam.of(0.01),
            new Sgd(0.05, 0.9, 0, true, 1e-3)}) {
            float[][] straight = run(spec, 5, 0);
            float[][] resumed = run(spec, 5, 2);
            for (int i = 0; i < straight.length; i++) {
                assertArrayEquals(straight[i], resumed[i], spec.name() + " buffer " + i);
            }
        }
    }

    private Session trained() {
        Session s = Session.create(TrainerTest.small(), new CpuBackend(), Adam.adam(0.01), 16, 3);
        Dataset data = TrainerTest.blobs(16, 1);
        s.loadBatch(data.features(), data.targets(), 16);
        s.trainBatch(16, 0.01f, 0);
        return s;
    }

    @Test
    void roundTripRestoresEverything() {
        Path file = dir.resolve("a.ckpt");
        try (Session s = trained()) {
            Checkpoint.of(s, Map.of("k", "v")).save(file);
            try (Session t = Session.create(TrainerTest.small(), new CpuBackend(), Adam.adam(0.01), 16, 5)) {
                Checkpoint ck = Checkpoint.load(file);
                ck.restore(t);
                assertArrayEquals(s.parameters(), t.parameters());
                assertArrayEquals(s.state(0), t.state(0));
                assertArrayEquals(s.state(1), t.state(1));
                assertArrayEquals(s.control(), t.control());
                assertEquals("v", ck.metadata().get("k"));
                assertEquals(1, t.steps());
            }
        }
    }

    @Test
    void bytesAreTheFilesContentsAndAreVerifiedTheSameWay() throws IOException {
        Path file = dir.resolve("c.ckpt");
        try (Session s = trained()) {
            Checkpoint ck = Checkpoint.of(s, Map.of("epoch", "3"));
            ck.save(file);
            byte[] bytes = ck.toBytes();
            assertArrayEquals(Files.readAllBytes(file), bytes);
            Checkpoint back = Checkpoint.fromBytes(bytes, "message");
            assertArrayEquals(s.parameters(), back.parameters());
            assertEquals("3", back.metadata().get("epoch"));
            bytes[bytes.length / 2] ^= 0x10;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoint.fromBytes(bytes, "message"));
            assertTrue(e.getMessage().contains("checkpoint message is corrupt"), e.getMessage());
        }
    }

    @Test
    void corruptionAndTruncationAreDetected() throws IOException {
        Path file = dir.resolve("b.ckpt");
        try (Session s = trained()) {
            Checkpoint.of(s, Map.of()).save(file);
        }
        byte[] good = Files.readAllBytes(file);
        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x10;
        Files.write(file, flipped);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        Files.write(file, java.util.Arrays.copyOf(good, good.length / 3));
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file));
        assertTrue(e.getMessage().contains("corrupt") || e.getMessage().contains("truncated"), e.getMessage());
        Files.write(file, new byte[] {1, 2, 3});
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file));
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir.resolve("missing.ckpt")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void architectureOrOptimizerMismatchIsRefused() {
        Path file = dir.resolve("c.ckpt");
        try (Session s = trained()) {
            Checkpoint.of(s, Map.of()).save(file);
        }
        Model wider = Model.builder(4).dense(17, Activation.TANH).dense(3, Activation.IDENTITY).build();
        try (Session t = Session.create(wider, new CpuBackend(), Adam.adam(0.01), 16, 5)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file).restore(t));
            assertTrue(e.getMessage().contains("architecture"), e.getMessage());
        }
        try (Session t = Session.create(TrainerTest.small(), new CpuBackend(), Sgd.of(0.1), 16, 5)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file).restore(t));
            assertTrue(e.getMessage().contains("optimizer"), e.getMessage());
        }
    }

    @Test
    void failedWriteLeavesTheOldCheckpointAndNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("d.ckpt");
        try (Session s = trained()) {
            Checkpoint.of(s, Map.of("generation", "1")).save(file);
            byte[] before = Files.readAllBytes(file);
            // A directory squatting on the target name is refused before anything is written
            // (AtomicFileTest covers a write that fails halfway).
            Path blocked = dir.resolve("blocked.ckpt");
            Files.createDirectories(blocked.resolve("child"));
            assertThrows(IllegalArgumentException.class, () -> Checkpoint.of(s, Map.of()).save(blocked));
            assertArrayEquals(before, Files.readAllBytes(file));
            try (var files = Files.list(dir)) {
                assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "temporary files left behind");
            }
        }
    }
}
