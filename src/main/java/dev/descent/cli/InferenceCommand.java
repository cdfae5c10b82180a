package dev.descent.cli;

import dev.descent.Checkpoint;
import dev.descent.data.DataSources;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code evaluate} and {@code predict} share: the checkpoint, the backend that runs the
 * model, and the data, which defaults to the source the checkpoint was trained on, so
 * {@code evaluate --checkpoint m.ckpt} scores the rows {@code train} held out.
 */
abstract class InferenceCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "a checkpoint written by train --checkpoint")
    Path checkpoint;

    @Option(names = "--backend", defaultValue = "cpu",
            description = "auto, cpu, cuda, opencl, reference (default: ${DEFAULT-VALUE})")
    String backend;

    @Mixin
    DataOptions data;

    /** The checkpoint, with --data/--csv taken from it when neither was given. */
    Checkpoint loadCheckpoint() {
        data.check();
        Checkpoint ck = Checkpoint.load(checkpoint);
        if (!data.given()) {
            String dir = ck.metadata().get(TrainCommand.OPTION_KEY + "--data");
            String csv = ck.metadata().get(TrainCommand.OPTION_KEY + "--csv");
            data.data = dir == null ? null : Path.of(dir);
            data.csv = csv == null ? null : Path.of(csv);
            // Read the file as train read it.
            data.csvHeader = ck.metadata().getOrDefault(TrainCommand.OPTION_KEY + "--csv-header", data.csvHeader);
            data.labelColumn = ck.metadata().getOrDefault(TrainCommand.OPTION_KEY + "--label-column", data.labelColumn);
            data.csvDelimiter = ck.metadata().getOrDefault(TrainCommand.OPTION_KEY + "--csv-delimiter", data.csvDelimiter);
        }
        return ck;
    }

    /** The split train made (same source, same seed), and whether its training rows are the checkpoint's. */
    record TrainingSplit(DataSources.Split split, boolean sameAsTraining) {}

    TrainingSplit trainingSplit(Checkpoint ck) {
        String seed = ck.metadata().getOrDefault(TrainCommand.OPTION_KEY + "--seed", "42");
        DataSources.Split split = data.split(Long.parseLong(seed));
        return new TrainingSplit(split, split.fingerprint().equals(ck.metadata().get(TrainCommand.FINGERPRINT)));
    }
}
