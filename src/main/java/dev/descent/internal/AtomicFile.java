package dev.descent.internal;

import dev.descent.internal.Check;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every file descent writes (checkpoints, plots, predictions, exported models) goes through here,
 * so a reader only ever sees the old file or the complete new one: the bytes go to a temp file
 * beside the target, are fsynced, and the temp file is renamed over the target.
 *
 * <p>A process killed mid-write leaves its temp file behind. Temp names carry the writer's PID,
 * so the next write to the same target removes those whose process is gone (or that are a day old,
 * in case the PID was reused) without touching a write that another live process has in flight.
 */
public final class AtomicFile {
    private static final String TAG = ".descent-";
    private static final String SUFFIX = ".tmp";
    private static final Duration STALE = Duration.ofDays(1);

    private AtomicFile() {}

    /** What produces the file's bytes. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code file} atomically; {@code what} names it in errors ("checkpoint", "plot").
     * Refuses a target that exists and is not a regular file: a symlink, FIFO or device is never
     * written through.
     *
     * @throws UncheckedIOException naming what, the file and the cause
     */
    public static void write(Path file, String what, Body body) {
        refuseNonRegular(what, file);
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            removeStaleTemps(dir, abs.getFileName().toString());
            tmp = dir.resolve(abs.getFileName() + TAG + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + SUFFIX);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                body.writeTo(out);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + what + " " + file + ": " + Check.ioReason(e), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error is the one worth reporting
                }
            }
        }
    }

    /** Throws when {@code file} exists and is not a regular file; {@code what} names it in the message. */
    public static void refuseNonRegular(String what, Path file) {
        Path abs = file.toAbsolutePath();
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(what + " " + file + " exists and is not a regular file (a directory,"
                    + " symlink, FIFO or device is never overwritten)");
        }
    }

    /** Temp files of earlier writes to {@code name} in {@code dir} whose writer has died. */
    static void removeStaleTemps(Path dir, String name) throws IOException {
        String prefix = name + TAG;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(SUFFIX);
        })) {
            for (Path p : entries) {
                if (isStale(p, p.getFileName().toString().substring(prefix.length()))) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static boolean isStale(Path tmp, String pidAndRandom) throws IOException {
        FileTime modified = Files.getLastModifiedTime(tmp, LinkOption.NOFOLLOW_LINKS);
        if (modified.toInstant().isBefore(Instant.now().minus(STALE))) {
            return true;
        }
        int dash = pidAndRandom.indexOf('-');
        try {
            long pid = Long.parseLong(pidAndRandom.substring(0, Math.max(dash, 0)));
            return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty();
        } catch (NumberFormatException e) {
            return false; // not a name this class wrote
        }
    }

    /** Makes the rename durable; not every platform can open a directory, which is harmless. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }
}
