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

    /**
     * Counts predictions against the truth.
     *
     * @param truth the true class of each row, in [0, classes)
     * @param predicted the predicted class of each row, in [0, classes)
     * @param classes number of classes
     * @return the matrix
     */
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

    /**
     * Number of classes.
     *
     * @return rows (and columns) of the matrix
     */
    public int classes() {
        return counts.length;
    }

    /**
     * Rows whose true class is {@code actual} and that were predicted as {@code predicted}.
     *
     * @param actual the true class
     * @param predicted the predicted class
     * @return the count
     */
    public long count(int actual, int predicted) {
        return counts[actual][predicted];
    }

    /**
     * Rows counted.
     *
     * @return the sum of every cell
     */
    public long total() {
        long n = 0;
        for (long[] row : counts) {
            for (long v : row) {
                n += v;
            }
        }
        return n;
    }

    /**
     * Share of rows predicted correctly.
     *
     * @return the trace over the total; 0 when empty
     */
    public double accuracy() {
        long correct = 0;
        for (int c = 0; c < counts.length; c++) {
            correct += counts[c][c];
        }
        return total() == 0 ? 0 : (double) correct / total();
    }

    /**
     * Rows whose true class is {@code c}.
     *
     * @param c a class
     * @return the row sum
     */
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

    /**
     * Of the rows predicted as {@code c}, the share that are {@code c}.
     *
     * @param c a class
     * @return precision; 0 when nothing was predicted as c
     */
    public double precision(int c) {
        long p = predictedAs(c);
        return p == 0 ? 0 : (double) counts[c][c] / p;
    }

    /**
     * Of the rows that are {@code c}, the share predicted as {@code c}.
     *
     * @param c a class
     * @return recall; 0 when no row is c
     */
    public double recall(int c) {
        long s = support(c);
        return s == 0 ? 0 : (double) counts[c][c] / s;
    }

    /**
     * The harmonic mean of precision and recall.
     *
     * @param c a class
     * @return F1; 0 when both are 0
     */
    public double f1(int c) {
        double p = precision(c);
        double r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /**
     * The unweighted mean of the per-class F1 scores.
     *
     * @return macro F1
     */
    public double macroF1() {
        double sum = 0;
        for (int c = 0; c < counts.length; c++) {
            sum += f1(c);
        }
        return sum / counts.length;
    }
}
