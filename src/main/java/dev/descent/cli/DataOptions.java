package dev.descent.cli;

import dev.descent.data.CsvReader;
import dev.descent.data.DataSources;
import dev.descent.data.Dataset;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where {@code train}, {@code evaluate} and {@code predict} read data: the four IDX files of a
 * directory, a CSV file, or (neither given) the Fashion-MNIST sample embedded in the jar. The
 * same option always means the same split, so evaluate scores exactly the rows train held out.
 */
final class DataOptions {
    @Option(names = "--data", description = "directory with the four Fashion-MNIST/MNIST IDX files"
            + " (train-* to train on, t10k-* held out)")
    Path data;

    @Option(names = "--csv", description = "CSV file with a header line and the label in the first column;"
            + " a seeded 20%% is held out")
    Path csv;

    void check() {
        if (data != null && csv != null) {
            throw new IllegalArgumentException("--data and --csv are exclusive");
        }
    }

    boolean given() {
        return data != null || csv != null;
    }

    /** The training split of the chosen source, as raw values with its normalisation. */
    DataSources.Split split(long seed) {
        check();
        if (data != null) {
            return DataSources.idxDirectory(data);
        }
        if (csv != null) {
            Dataset all = CsvReader.labelsFirst(true).read(csv);
            if (all.rows() < 2) {
                throw new IllegalArgumentException("--csv " + csv + " has " + all.rows() + " data row; at least 2 are"
                        + " needed, since a fifth of the rows (at least one) is held out to score the model");
            }
            return DataSources.randomSplit(all, Math.max(1, all.rows() / 5), seed);
        }
        return DataSources.embedded();
    }

    /** How the source reads in messages: "--csv FILE", "--data DIR" or "the embedded data". */
    String describe() {
        return data != null ? "--data " + data : csv != null ? "--csv " + csv : "the embedded data";
    }
}
