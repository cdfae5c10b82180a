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

    @Option(names = "--csv", description = "CSV file, one sample per line (quoted fields allowed); a seeded 20%%"
            + " is held out. Labels are class indices or words (mapped to classes, kept in the checkpoint)")
    Path csv;

    @Option(names = "--csv-header", defaultValue = "auto", description = "yes, no, or auto: a first line with a"
            + " non-numeric feature cell is a header (default: ${DEFAULT-VALUE})")
    String csvHeader;

    @Option(names = "--label-column", defaultValue = "1", description = "the label's column: N (counting from 1),"
            + " last, or a header name (default: ${DEFAULT-VALUE})")
    String labelColumn;

    @Option(names = "--csv-delimiter", defaultValue = "auto", description = "one character, tab, or auto: the"
            + " most frequent of , ; and tab in the first line (default: ${DEFAULT-VALUE})")
    String csvDelimiter;

    void check() {
        if (data != null && csv != null) {
            throw new IllegalArgumentException("--data and --csv are exclusive");
        }
        reader();
    }

    /** The CSV reader the options describe (classification, label column as given). */
    CsvReader reader() {
        CsvReader.Header header;
        try {
            header = CsvReader.Header.valueOf(csvHeader.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--csv-header must be yes, no or auto, got '" + csvHeader + "'");
        }
        if (labelColumn.isBlank() || labelColumn.equals("0")) {
            throw new IllegalArgumentException("--label-column must be N (counting from 1), last, or a header name, got '"
                    + labelColumn + "'");
        }
        return new CsvReader(header, labelColumn, CsvReader.delimiter(csvDelimiter), true, null);
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
            CsvReader.Table table = reader().readTable(csv);
            Dataset all = table.data();
            if (all.rows() < 2) {
                throw new IllegalArgumentException("--csv " + csv + " has " + all.rows() + " data row; at least 2 are"
                        + " needed, since a fifth of the rows (at least one) is held out to score the model");
            }
            return DataSources.randomSplit(all, Math.max(1, all.rows() / 5), seed, table.classNames());
        }
        return DataSources.embedded();
    }

    /** How the source reads in messages: "--csv FILE", "--data DIR" or "the embedded data". */
    String describe() {
        return data != null ? "--data " + data : csv != null ? "--csv " + csv : "the embedded data";
    }
}
