package dev.descent.data;

import dev.descent.internal.Check;

/**
 * Samples in host memory: a rows x cols feature matrix (row-major float32) and targets, either
 * one integer class label per row (classification, {@code classes >= 2}) or a rows x targetWidth
 * matrix (regression, {@code classes == 0}). Validated at construction: shapes, finite values,
 * labels that are integers in [0, classes).
 */
public final class Dataset {
    private final float[] features;
    private final float[] targets;
    private final int rows;
    private final int cols;
    private final int targetWidth;
    private final int classes;

    private Dataset(float[] features, int rows, int cols, float[] targets, int targetWidth, int classes) {
        Check.atLeast("rows", rows, 1);
        Check.atLeast("cols", cols, 1);
        Check.length("features", features, Math.multiplyExact(rows, cols));
        Check.length("targets", targets, Math.multiplyExact(rows, targetWidth));
        Check.finite("features", features);
        Check.finite("targets", targets);
        if (rows > 1 << 24) {
            throw new IllegalArgumentException("rows must be <= 16777216 (row indices travel as exact floats), got " + rows);
        }
        if (classes > 0) {
            for (int r = 0; r < rows; r++) {
                float label = targets[r];
                if (label != Math.rint(label) || label < 0 || label >= classes) {
                    throw new IllegalArgumentException("label at row " + r + " is " + label
                            + "; labels must be integers in [0, " + classes + ")");
                }
            }
        }
        this.features = features;
        this.targets = targets;
        this.rows = rows;
        this.cols = cols;
        this.targetWidth = targetWidth;
        this.classes = classes;
    }

    /**
     * Classification data: one integer label per row.
     *
     * @param features rows x cols, row-major; not copied
     * @param rows samples
     * @param cols features per sample
     * @param labels one label per row, in [0, classes)
     * @param classes number of classes, at least 2
     * @return the data set
     */
    public static Dataset classification(float[] features, int rows, int cols, int[] labels, int classes) {
        Check.atLeast("classes", classes, 2);
        if (labels == null || labels.length != rows) {
            throw new IllegalArgumentException("labels has length " + (labels == null ? "null" : labels.length)
                    + ", expected " + rows);
        }
        float[] t = new float[rows];
        for (int r = 0; r < rows; r++) {
            if (labels[r] < 0 || labels[r] >= classes) {
                throw new IllegalArgumentException("label at row " + r + " is " + labels[r]
                        + "; labels must be in [0, " + classes + ")");
            }
            t[r] = labels[r];
        }
        return new Dataset(features, rows, cols, t, 1, classes);
    }

    /**
     * Any data: {@code classes >= 2} means one integer label per row (targetWidth 1), 0 means a
     * rows x targetWidth regression target.
     *
     * @param features rows x cols, row-major; not copied
     * @param rows samples
     * @param cols features per sample
     * @param targets rows x targetWidth; labels as floats for classification; not copied
     * @param targetWidth targets per row (1 for classification)
     * @param classes number of classes, or 0 for regression
     * @return the data set
     */
    public static Dataset of(float[] features, int rows, int cols, float[] targets, int targetWidth, int classes) {
        if (classes != 0 && (classes < 2 || targetWidth != 1)) {
            throw new IllegalArgumentException("classification needs classes >= 2 and targetWidth 1, got classes="
                    + classes + " targetWidth=" + targetWidth);
        }
        Check.atLeast("targetWidth", targetWidth, 1);
        return new Dataset(features, rows, cols, targets, targetWidth, classes);
    }

    /**
     * Regression data.
     *
     * @param features rows x cols, row-major; not copied
     * @param rows samples
     * @param cols features per sample
     * @param targets rows x targetWidth; not copied
     * @param targetWidth targets per row
     * @return the data set
     */
    public static Dataset regression(float[] features, int rows, int cols, float[] targets, int targetWidth) {
        Check.atLeast("targetWidth", targetWidth, 1);
        return new Dataset(features, rows, cols, targets, targetWidth, 0);
    }

    /**
     * Samples in the set.
     *
     * @return rows
     */
    public int rows() {
        return rows;
    }

    /**
     * Features per sample.
     *
     * @return columns of the feature matrix
     */
    public int cols() {
        return cols;
    }

    /**
     * Targets per sample.
     *
     * @return 1 for classification, the regression width otherwise
     */
    public int targetWidth() {
        return targetWidth;
    }

    /**
     * Number of classes, or 0 for regression.
     *
     * @return the class count
     */
    public int classes() {
        return classes;
    }

    /**
     * The backing feature array (not copied: treat as read-only).
     *
     * @return rows x cols floats
     */
    public float[] features() {
        return features;
    }

    /**
     * The backing target array (labels as floats for classification; not copied).
     *
     * @return rows x targetWidth floats
     */
    public float[] targets() {
        return targets;
    }

    /**
     * Rows [from, to) as a new data set.
     *
     * @param from first row
     * @param to one past the last row
     * @return a copy of those rows
     */
    public Dataset slice(int from, int to) {
        if (from < 0 || to > rows || from >= to) {
            throw new IllegalArgumentException("slice [" + from + ", " + to + ") is outside [0, " + rows + ")");
        }
        float[] x = java.util.Arrays.copyOfRange(features, from * cols, to * cols);
        float[] t = java.util.Arrays.copyOfRange(targets, from * targetWidth, to * targetWidth);
        return new Dataset(x, to - from, cols, t, targetWidth, classes);
    }

    /**
     * A short hash of the shape, features and targets (SHA-256, first 16 hex digits): a checkpoint
     * records it so that resuming on other data is an error rather than a silently different run.
     *
     * @return 16 hex digits
     */
    public String fingerprint() {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(16).putInt(rows).putInt(cols).putInt(targetWidth)
                    .putInt(classes);
            sha.update(head.array());
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4 * 4096);
            for (float[] a : new float[][] {features, targets}) {
                for (int i = 0; i < a.length; i += 4096) {
                    buf.clear();
                    buf.asFloatBuffer().put(a, i, Math.min(4096, a.length - i));
                    sha.update(buf.array(), 0, 4 * Math.min(4096, a.length - i));
                }
            }
            return java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * A seeded split into {@code [kept, heldOut]} with {@code fraction} of the rows held out. For
     * classification each class contributes its own share (stratified: the held-out class mix
     * matches the whole), rounded so every class with at least two rows keeps at least one and
     * gives at least one; regression rows are drawn uniformly.
     *
     * @param fraction share of the rows held out, in (0, 1)
     * @param seed the split's seed
     * @return the kept rows and the held-out rows, each in stored order
     */
    public Dataset[] stratifiedSplit(double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("the held-out fraction must be in (0, 1), got " + fraction);
        }
        java.util.Random random = new java.util.Random(seed);
        int groups = classes > 0 ? classes : 1;
        java.util.List<java.util.List<Integer>> byClass = new java.util.ArrayList<>();
        for (int c = 0; c < groups; c++) {
            byClass.add(new java.util.ArrayList<>());
        }
        for (int r = 0; r < rows; r++) {
            byClass.get(classes > 0 ? (int) targets[r * targetWidth] : 0).add(r);
        }
        int[] kept = new int[rows];
        int[] held = new int[rows];
        int k = 0, h = 0;
        for (java.util.List<Integer> members : byClass) {
            java.util.Collections.shuffle(members, random);
            int take = (int) Math.round(members.size() * fraction);
            if (members.size() >= 2) {
                take = Math.max(1, Math.min(members.size() - 1, take));
            }
            for (int i = 0; i < members.size(); i++) {
                if (i < take) {
                    held[h++] = members.get(i);
                } else {
                    kept[k++] = members.get(i);
                }
            }
        }
        int[] keptRows = java.util.Arrays.copyOf(kept, k);
        int[] heldRows = java.util.Arrays.copyOf(held, h);
        java.util.Arrays.sort(keptRows);   // stored order, so the trainer's own shuffle decides the order
        java.util.Arrays.sort(heldRows);
        if (keptRows.length == 0 || heldRows.length == 0) {
            throw new IllegalArgumentException("holding out " + fraction + " of " + rows + " rows leaves "
                    + keptRows.length + " to train on and " + heldRows.length + " held out; both need at least one");
        }
        return new Dataset[] {select(keptRows), select(heldRows)};
    }

    /**
     * The rows listed in {@code order}, in that order (used for seeded splits).
     *
     * @param order row indices
     * @return a copy of those rows
     */
    public Dataset select(int[] order) {
        float[] x = new float[order.length * cols];
        float[] t = new float[order.length * targetWidth];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(features, order[i] * cols, x, i * cols, cols);
            System.arraycopy(targets, order[i] * targetWidth, t, i * targetWidth, targetWidth);
        }
        return new Dataset(x, order.length, cols, t, targetWidth, classes);
    }

    /**
     * A copy with every feature scaled: x' = (x - shift) / scale (see {@link Normalization}).
     *
     * @param n per-feature shift and scale
     * @return the normalized copy
     */
    public Dataset normalized(Normalization n) {
        float[] x = features.clone();
        n.apply(x, cols);
        return new Dataset(x, rows, cols, targets, targetWidth, classes);
    }
}
