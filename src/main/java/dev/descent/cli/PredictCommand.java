package dev.descent.cli;

import dev.descent.Backend;
import dev.descent.Backends;
import dev.descent.Checkpoint;
import dev.descent.Predictor;
import dev.descent.data.CsvReader;
import dev.descent.data.Dataset;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code descent predict}: one CSV row per input, the predicted class then the probability of
 * every class. Inputs are raw values; the checkpoint's normalisation is applied to them.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Predict classes and class probabilities for new rows (default data: the rows the checkpoint's"
                + " training held out). A --csv file may hold just the features, or a label first.")
final class PredictCommand extends InferenceCommand {
    @Option(names = "--output", required = true, description = "CSV file to write, or - for standard output")
    String output;

    @Override
    public Integer call() {
        Path out = output.equals("-") ? null : Path.of(output);
        OutputPaths.checkWritable("--output", out);
        Checkpoint ck = loadCheckpoint();
        Dataset rows = inputs(ck);
        try (Backend be = Backends.open(backend); Predictor p = Predictor.open(ck, be)) {
            Predictor.Predictions predictions = p.predict(rows.features(), rows.rows());
            int[] classes = predictions.classes();
            float[] probabilities = predictions.probabilities();
            if (out == null) {
                try {
                    write(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), p, classes, probabilities);
                } catch (IOException e) {
                    throw new UncheckedIOException("could not write predictions to standard output", e);
                }
            } else {
                dev.descent.internal.AtomicFile.write(out, "predictions", stream -> write(writer(stream), p, classes,
                        probabilities));
                System.err.println("predict: " + rows.rows() + " rows written to " + out);
            }
        }
        return 0;
    }

    /** The rows to predict: a CSV file whole (with or without its label column), or a held-out split. */
    private Dataset inputs(Checkpoint ck) {
        if (data.csv == null) {
            return trainingSplit(ck).split().heldOut();
        }
        CsvReader reader = data.reader().withClasses(ck.classLabels());
        int cols = reader.columns(data.csv);
        int want = ck.model().inputWidth();
        if (cols == want) {
            return reader.featuresOnly().read(data.csv);
        }
        if (cols == want + 1) {
            return reader.read(data.csv);
        }
        throw new IllegalArgumentException("--csv " + data.csv + " has " + cols + " columns; the model takes "
                + want + " features (give " + want + " columns, or " + (want + 1) + " with the label in --label-column)");
    }

    private static Writer writer(OutputStream stream) {
        return new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8));
    }

    private static void write(Writer w, Predictor p, int[] classes, float[] probabilities) throws IOException {
        int k = p.outputWidth();
        StringBuilder line = new StringBuilder("predicted,label");
        for (int c = 0; c < k; c++) {
            line.append(",p").append(c);
        }
        w.write(line.append('\n').toString());
        for (int r = 0; r < classes.length; r++) {
            line.setLength(0);
            line.append(classes[r]).append(',').append(csvField(p.classLabel(classes[r])));
            for (int c = 0; c < k; c++) {
                line.append(',').append(String.format(Locale.ROOT, "%.6g", probabilities[r * k + c]));
            }
            w.write(line.append('\n').toString());
        }
        w.flush();
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
