package dev.descent.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir
    Path dir;

    /** The PID of a process that has exited: its temp files are leftovers. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long pid = p.pid();
        assertTrue(ProcessHandle.of(pid).isEmpty(), "process " + pid + " still alive");
        return pid;
    }

    @Test
    void leftoversOfDeadWritersAreRemovedOnTheNextWrite() throws Exception {
        Path target = dir.resolve("model.ckpt");
        Path dead = Files.write(dir.resolve("model.ckpt.descent-" + deadPid() + "-1f.tmp"), new byte[] {1});
        // PID 1 is always alive: a write in flight in another process is left alone, unless a day old.
        Path live = Files.write(dir.resolve("model.ckpt.descent-1-2e.tmp"), new byte[] {2});
        Path oldLive = Files.write(dir.resolve("model.ckpt.descent-1-3d.tmp"), new byte[] {3});
        Files.setLastModifiedTime(oldLive, FileTime.from(Instant.now().minus(2, ChronoUnit.DAYS)));
        Path otherTarget = Files.write(dir.resolve("other.ckpt.descent-" + deadPid() + "-4c.tmp"), new byte[] {4});

        AtomicFile.write(target, "checkpoint", out -> out.write(new byte[] {7, 8}));

        assertArrayEquals(new byte[] {7, 8}, Files.readAllBytes(target));
        assertFalse(Files.exists(dead), "dead writer's temp file kept");
        assertFalse(Files.exists(oldLive), "day-old temp file kept");
        assertTrue(Files.exists(live), "a live writer's temp file was removed");
        assertTrue(Files.exists(otherTarget), "another target's temp file was removed");
    }

    @Test
    void failedWriteKeepsTheOldFileAndLeavesNoTemp() throws IOException {
        Path target = Files.write(dir.resolve("plot.png"), new byte[] {5});
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> AtomicFile.write(target, "plot", out -> {
            out.write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        assertEquals("could not write plot " + target + ": disk full", e.getMessage());
        assertArrayEquals(new byte[] {5}, Files.readAllBytes(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "temp file left behind");
        }
    }

    @Test
    void refusesToWriteThroughSymlinksAndDirectories() throws IOException {
        Path real = Files.write(dir.resolve("real"), new byte[] {1});
        Path link = Files.createSymbolicLink(dir.resolve("link.ckpt"), real);
        String msg = assertThrows(IllegalArgumentException.class,
                () -> AtomicFile.write(link, "checkpoint", out -> out.write(2))).getMessage();
        assertTrue(msg.contains("checkpoint " + link + " exists and is not a regular file"), msg);
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(real));
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertThrows(IllegalArgumentException.class, () -> AtomicFile.write(sub, "plot", out -> out.write(2)));
    }
}
