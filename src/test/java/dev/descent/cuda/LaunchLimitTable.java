package dev.descent.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** kernels/cuda/launch_limits.txt as the tests read it: one kernel per line, '#' for comments. */
final class LaunchLimitTable {
    private LaunchLimitTable() {}

    /** @return the kernels the table lists, sorted */
    static List<String> kernels() throws IOException {
        return Files.readAllLines(Path.of("kernels/cuda/launch_limits.txt")).stream()
                .filter(l -> !l.startsWith("#")).map(l -> l.split(" ")[0]).sorted().toList();
    }
}
