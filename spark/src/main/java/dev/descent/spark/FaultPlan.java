package dev.descent.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A test hook: task {@code task} throws when it reaches step {@code step} of epoch
 * {@code epoch}, once. "Once" is a marker file created atomically, so it holds across the
 * retried stage's tasks whichever JVM they run in (shared by every executor of a test cluster).
 *
 * @param task the partition that fails
 * @param epoch the epoch, from 0
 * @param step the step within the epoch, from 0
 * @param marker the file whose creation marks the fault as done
 */
public record FaultPlan(int task, int epoch, int step, String marker) implements Serializable {

    /** Throws the injected failure if this is the planned moment and it has not failed before. */
    void maybeFail(int task, int epoch, int step) {
        if (task != this.task || epoch != this.epoch || step != this.step) {
            return;
        }
        try {
            Files.createFile(Path.of(marker));
        } catch (FileAlreadyExistsException e) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("injected fault: task " + task + " at epoch " + epoch + " step " + step);
    }
}
