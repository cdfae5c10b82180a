package dev.descent.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where training data comes from: the Fashion-MNIST test split embedded in the jar (the default
 * workload, split into fixed 8,000 training / 2,000 held-out rows), a directory holding the four
 * standard IDX files, and seeded splits of any dataset. Every split holds the raw values of its
 * files together with the normalisation to train on them with ({@link Split#normalized()}), so a
 * trained model can record it and apply it to raw inputs later.
 */
public final class DataSources {
    private DataSources() {}

    /**
     * A training set and the held-out set it is scored on, as raw values, with the normalisation
     * fitted for them ({@code null}: none) and the class names ({@code empty}: the indices).
     */
    public record Split(Dataset train, Dataset heldOut, Normalization normalization, java.util.List<String> labels,
                        String description) {
        /**
         * The fingerprints of both sets: changing any row of either changes it.
         *
         * @return both fingerprints, joined
         */
        public String fingerprint() {
            return train.fingerprint() + "-" + heldOut.fingerprint();
        }

        /**
         * Both sets with the normalisation applied: what a model trains on.
         *
         * @return the normalized split (its own normalization is null)
         */
        public Split normalized() {
            return normalization == null ? this : new Split(train.normalized(normalization),
                    heldOut.normalized(normalization), null, labels, description);
        }
    }

    /** Pixels are bytes: dividing by 255 maps them to [0, 1]. */
    public static final Normalization PIXELS = Normalization.uniform(0, 255);

    /** Fashion-MNIST's class names, by label. */
    public static final java.util.List<String> FASHION_LABELS = java.util.List.of("T-shirt/top", "Trouser", "Pullover",
            "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /**
     * Rows of the embedded set used for training; the rest are held out.
     */
    public static final int EMBEDDED_TRAIN_ROWS = 8000;
    private static final String RESOURCE = "/dev/descent/data/";

    /**
     * The embedded 10k Fashion-MNIST images: rows [0, 8000) train, [8000, 10000) held out.
     *
     * @return the split, raw pixel values with {@link #PIXELS} as normalization
     */
    public static Split embedded() {
        Dataset all = IdxReader.images(resource("t10k-images-idx3-ubyte.gz"), resource("t10k-labels-idx1-ubyte.gz"),
                "embedded Fashion-MNIST");
        return new Split(all.slice(0, EMBEDDED_TRAIN_ROWS), all.slice(EMBEDDED_TRAIN_ROWS, all.rows()), PIXELS,
                FASHION_LABELS, "embedded Fashion-MNIST test split: 8000 train / 2000 held out");
    }

    private static IdxReader.Idx resource(String name) {
        try (InputStream in = DataSources.class.getResourceAsStream(RESOURCE + name)) {
            if (in == null) {
                throw new IllegalStateException("embedded data " + name + " is missing from the jar");
            }
            return IdxReader.read(in, name);
        } catch (IOException e) {
            throw new IllegalStateException("embedded data " + name + " is unreadable: " + e.getMessage(), e);
        }
    }

    /**
     * The standard four files in {@code dir} (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
     * t10k-...): the training split to train on, the test split as held-out set.
     *
     * @param dir the directory
     * @return the split
     */
    public static Split idxDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--data " + dir + " is not a directory");
        }
        Dataset train = IdxReader.images(IdxReader.read(find(dir, "train-images-idx3-ubyte")),
                IdxReader.read(find(dir, "train-labels-idx1-ubyte")), dir + " (train)");
        Dataset test = IdxReader.images(IdxReader.read(find(dir, "t10k-images-idx3-ubyte")),
                IdxReader.read(find(dir, "t10k-labels-idx1-ubyte")), dir + " (t10k)");
        if (train.cols() != test.cols()) {
            throw new IllegalArgumentException(dir + ": train images have " + train.cols() + " pixels, test images "
                    + test.cols());
        }
        return new Split(train, test, PIXELS, java.util.List.of(),
                dir + ": " + train.rows() + " train / " + test.rows() + " test");
    }

    private static Path find(Path dir, String stem) {
        for (String name : new String[] {stem + ".gz", stem}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException("--data " + dir + " has no " + stem + ".gz or " + stem);
    }

    /**
     * A seeded split: {@code heldOutRows} rows drawn at random (Fisher-Yates from {@code seed}) are
     * held out; the normalisation standardises each column with the training rows' statistics.
     *
     * @param data all rows
     * @param heldOutRows rows held out
     * @param seed the draw's seed
     * @return the split
     */
    public static Split randomSplit(Dataset data, int heldOutRows, long seed) {
        return randomSplit(data, heldOutRows, seed, java.util.List.of());
    }

    /**
     * As {@link #randomSplit(Dataset, int, long)}, with class names (from word labels) kept in the split.
     *
     * @param data all rows
     * @param heldOutRows rows held out
     * @param seed the draw's seed
     * @param labels class names by index, or empty
     * @return the split
     */
    public static Split randomSplit(Dataset data, int heldOutRows, long seed, java.util.List<String> labels) {
        if (heldOutRows < 1 || heldOutRows >= data.rows()) {
            throw new IllegalArgumentException("heldOutRows must be in [1, " + (data.rows() - 1) + "], got " + heldOutRows);
        }
        int[] order = new int[data.rows()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int trainRows = data.rows() - heldOutRows;
        Dataset train = data.select(java.util.Arrays.copyOfRange(order, 0, trainRows));
        return new Split(train, data.select(java.util.Arrays.copyOfRange(order, trainRows, order.length)),
                Normalization.standardize(train), java.util.List.copyOf(labels),
                "seeded split: " + trainRows + " train / " + heldOutRows + " held out");
    }
}
