package dev.descent.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Output paths are checked before any training starts, so a run never ends with its results
 * unwritable: the file must be absent or a regular file (not a directory, symlink, FIFO or
 * device), and its directory must exist, be a directory, and accept a new file.
 */
final class OutputPaths {
    private OutputPaths() {}

    static void checkWritable(String option, Path file) {
        if (file == null) {
            return;
        }
        dev.descent.internal.AtomicFile.refuseNonRegular(option, file);
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new IllegalArgumentException(option + " " + file + ": " + p + " is not a directory");
                }
                break;
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + " " + file + ": directory " + dir + " does not exist");
        }
        try {
            Path probe = Files.createTempFile(dir, ".descent-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + ": cannot create files in " + dir + " ("
                    + dev.descent.internal.Check.ioReason(e) + ")");
        }
    }
}
