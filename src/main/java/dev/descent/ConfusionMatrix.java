package dev.descent;

import dev.descent.internal.Check;
/**
 * Counts of (true class, predicted class) pairs, and the per-class figures derived from them:
 * precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean, support the rows
 * whose true class it is. A class never predicted has precision 0, one absent from the data recall
 * 0 (scikit-learn's zero_division=0), so every figure is a finite number.
 */
public final class ConfusionMatrix {
    private final long[][] counts;

    private ConfusionMatrix(long[][] counts) {
        this.counts = counts;
    }

    /** {@code truth[i]} and {@code predicted[i]} are the classes of row i, each in [0, classes). */
    public static ConfusionMatrix of(int[] truth, int[] predicted, int classes) {
        Check.atLeast("classes", classes, 1);
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException("truth has " + truth.length + " rows, predicted " + predicted.length);
        }
        long[][] counts = new long[classes][classes];
        for (int i = 0; i < truth.length; i++) {
            counts[Check.index("truth[" + i + "]", truth[i], classes)][Check.index("predicted[" + i + "]", predicted[i],
                    classes)]++;
        }
        return new ConfusionMatrix(counts);
    }

    public int classes() {
        return counts.length;
    }

    /** Rows whose true class is {@code actual} and that were predicted as {@code predicted}. */
    public long count(int actual, int predicted) {
        return counts[actual][predicted];
    }

    public long total() {
        long n = 0;
        for (long[] row : counts) {
            for (long v : row) {
                n += v;
            }
        }
        return n;
    }

    public double accuracy() {
        long correct = 0;
        for (int c = 0; c < counts.length; c++) {
            correct += counts[c][c];
        }
        return total() == 0 ? 0 : (double) correct / total();
    }

    public long support(int c) {
        long n = 0;
        for (long v : counts[c]) {
            n += v;
        }
        return n;
    }

    private long predictedAs(int c) {
        long n = 0;
        for (long[] row : counts) {
            n += row[c];
        }
        return n;
    }

    public double precision(int c) {
        long p = predictedAs(c);
        return p == 0 ? 0 : (double) counts[c][c] / p;
    }

    public double recall(int c) {
        long s = support(c);
        return s == 0 ? 0 : (double) counts[c][c] / s;
    }

    public double f1(int c) {
        double p = precision(c);
        double r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /** The unweighted mean of the per-class F1 scores. */
    public double macroF1() {
        double sum = 0;
        for (int c = 0; c < counts.length; c++) {
            sum += f1(c);
        }
        return sum / counts.length;
    }
}
