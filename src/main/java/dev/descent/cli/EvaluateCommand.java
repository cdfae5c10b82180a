package dev.descent.cli;

import com.google.gson.GsonBuilder;
import dev.descent.Backend;
import dev.descent.Backends;
import dev.descent.Checkpoint;
import dev.descent.ConfusionMatrix;
import dev.descent.Evaluation;
import dev.descent.Predictor;
import dev.descent.data.Dataset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code descent evaluate}: a checkpoint's loss, accuracy, per-class precision, recall and F1,
 * and confusion matrix. Scored through the same forward pass and loss as train's last line, so
 * the accuracy is the same number.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Score a checkpoint: loss, accuracy, per-class precision/recall/F1 and the confusion matrix"
                + " (default data: the rows its training held out).")
final class EvaluateCommand extends InferenceCommand {
    @Option(names = "--json", description = "print the report as one JSON object instead of text")
    boolean json;

    @Override
    public Integer call() {
        Checkpoint ck = loadCheckpoint();
        TrainingSplit ts = trainingSplit(ck);
        Dataset rows;
        String what;
        if (data.csv != null && !ts.sameAsTraining()) {
            rows = data.reader().withClasses(ck.classLabels()).read(data.csv);
            what = "every row of --csv " + data.csv;
        } else {
            rows = ts.split().heldOut();
            what = (data.csv != null ? "the 20% of --csv " + data.csv + " that training held out"
                    : data.data != null ? "the t10k files of --data " + data.data
                    : "the embedded held-out split") + ", " + rows.rows() + " rows";
        }
        if (rows.classes() == 0) {
            throw new IllegalArgumentException("evaluate needs class labels; " + what + " has none");
        }
        try (Backend be = Backends.open(backend); Predictor p = Predictor.open(ck, be)) {
            Evaluation e = p.evaluate(rows);
            int[] truth = new int[rows.rows()];
            for (int r = 0; r < truth.length; r++) {
                truth[r] = (int) rows.targets()[r];
            }
            ConfusionMatrix cm = ConfusionMatrix.of(truth, p.classes(rows.features(), rows.rows()), p.outputWidth());
            if (json) {
                System.out.println(new GsonBuilder().serializeSpecialFloatingPointValues().create()
                        .toJson(report(ck, what, e, cm, p)));
            } else {
                printText(what, e, cm, p);
            }
        }
        return 0;
    }

    private void printText(String what, Evaluation e, ConfusionMatrix cm, Predictor p) {
        System.out.println("checkpoint: " + checkpoint + " (" + p.model().architecture() + ")");
        System.out.println("data: " + what);
        System.out.printf(Locale.ROOT, "loss %.4f  accuracy %.4f  macro F1 %.4f%n", e.loss(), e.accuracy(), cm.macroF1());
        int width = 5;
        for (int c = 0; c < cm.classes(); c++) {
            width = Math.max(width, (c + " " + p.classLabel(c)).length());
        }
        System.out.printf(Locale.ROOT, "%n%-" + width + "s  %9s  %6s  %6s  %7s%n", "class", "precision", "recall", "f1",
                "support");
        for (int c = 0; c < cm.classes(); c++) {
            System.out.printf(Locale.ROOT, "%-" + width + "s  %9.4f  %6.4f  %6.4f  %7d%n", p.classLabel(c),
                    cm.precision(c), cm.recall(c), cm.f1(c), cm.support(c));
        }
        System.out.println();
        System.out.println("confusion matrix (row: true class, column: predicted class)");
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s", ""));
        for (int c = 0; c < cm.classes(); c++) {
            head.append(String.format(Locale.ROOT, " %6d", c));
        }
        System.out.println(head);
        for (int a = 0; a < cm.classes(); a++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s", a + " " + p.classLabel(a)));
            for (int c = 0; c < cm.classes(); c++) {
                line.append(String.format(Locale.ROOT, " %6d", cm.count(a, c)));
            }
            System.out.println(line);
        }
    }

    private Map<String, Object> report(Checkpoint ck, String what, Evaluation e, ConfusionMatrix cm, Predictor p) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("checkpoint", checkpoint.toString());
        out.put("architecture", ck.architecture());
        out.put("data", what);
        out.put("rows", e.samples());
        out.put("loss", e.loss());
        out.put("accuracy", e.accuracy());
        out.put("macro_f1", cm.macroF1());
        List<Map<String, Object>> classes = new ArrayList<>();
        List<long[]> matrix = new ArrayList<>();
        for (int c = 0; c < cm.classes(); c++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("class", c);
            row.put("label", p.classLabel(c));
            row.put("precision", cm.precision(c));
            row.put("recall", cm.recall(c));
            row.put("f1", cm.f1(c));
            row.put("support", cm.support(c));
            classes.add(row);
            long[] counts = new long[cm.classes()];
            for (int q = 0; q < counts.length; q++) {
                counts[q] = cm.count(c, q);
            }
            matrix.add(counts);
        }
        out.put("classes", classes);
        out.put("confusion_matrix", matrix);
        return out;
    }
}
