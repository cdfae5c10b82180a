package dev.descent.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads numeric CSV: one sample per line, one column holding the target, every other column a
 * feature. Blank lines are skipped; anything else that is not a number is an error naming the
 * file, line and column.
 */
public final class CsvReader {
    private final int labelColumn;
    private final boolean header;
    private final char delimiter;
    private final boolean classification;

    /**
     * @param labelColumn    0-based index of the target column; -1 means the last column
     * @param header         skip the first line
     * @param classification integer labels (classes = largest label + 1) or one regression target
     */
    public CsvReader(int labelColumn, boolean header, char delimiter, boolean classification) {
        if (labelColumn < FEATURES_ONLY) {
            throw new IllegalArgumentException("labelColumn must be >= -1 (-1 = last), got " + labelColumn);
        }
        this.labelColumn = labelColumn;
        this.header = header;
        this.delimiter = delimiter;
        this.classification = classification;
    }

    /** A labelColumn meaning "every column is a feature": the targets are one column of zeros. */
    static final int FEATURES_ONLY = -2;

    /** Every column a feature (data to predict on), comma-separated; the dataset's targets are zeros. */
    public static CsvReader featuresOnly(boolean header) {
        return new CsvReader(FEATURES_ONLY, header, ',', false);
    }

    /** Label in column 0, comma-separated, with a header line, classification. */
    public static CsvReader labelsFirst(boolean header) {
        return new CsvReader(0, header, ',', true);
    }

    public Dataset read(Path file) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("CSV file " + file + " does not exist");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("CSV file " + file + " is not UTF-8 text (an invalid byte sequence;"
                    + " convert it, e.g. with iconv, or check it is a CSV file)");
        } catch (IOException e) {
            throw new IllegalArgumentException("CSV file " + file + " is unreadable: " + dev.descent.Check.ioReason(e));
        }
    }

    public Dataset read(BufferedReader in, String name) throws IOException {
        List<float[]> rows = new ArrayList<>();
        List<Float> targets = new ArrayList<>();
        int width = -1;
        int lineNo = 0;
        String line;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (lineNo == 1 && header) {
                continue;
            }
            if (line.isBlank()) {
                continue;
            }
            String[] cells = split(line);
            if (width == -1) {
                width = cells.length;
                if (width < (labelColumn == FEATURES_ONLY ? 1 : 2)) {
                    throw new IllegalArgumentException(name + " line " + lineNo + ": needs a label and at least one"
                            + " feature column, found " + width + " column(s)");
                }
                if (labelColumn >= width) {
                    throw new IllegalArgumentException(name + ": labelColumn " + labelColumn + " but lines have "
                            + width + " columns");
                }
            } else if (cells.length != width) {
                throw new IllegalArgumentException(name + " line " + lineNo + ": " + cells.length
                        + " columns, expected " + width);
            }
            if (labelColumn == FEATURES_ONLY) {
                float[] x = new float[width];
                for (int c = 0; c < width; c++) {
                    x[c] = parse(cells[c], name, lineNo, c);
                }
                rows.add(x);
                targets.add(0f);
                continue;
            }
            int label = labelColumn == -1 ? width - 1 : labelColumn;
            float[] x = new float[width - 1];
            for (int c = 0, j = 0; c < width; c++) {
                if (c == label) {
                    targets.add(classification ? parseLabel(cells[c], name, lineNo, c) : parse(cells[c], name, lineNo, c));
                } else {
                    x[j++] = parse(cells[c], name, lineNo, c);
                }
            }
            rows.add(x);
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(name + " has no data rows");
        }
        int cols = labelColumn == FEATURES_ONLY ? width : width - 1;
        float[] features = new float[rows.size() * cols];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, features, r * cols, cols);
        }
        if (!classification) {
            float[] t = new float[targets.size()];
            for (int r = 0; r < t.length; r++) {
                t[r] = targets.get(r);
            }
            return Dataset.regression(features, rows.size(), cols, t, 1);
        }
        int[] labels = new int[targets.size()];
        int classes = 2;
        for (int r = 0; r < labels.length; r++) {
            float v = targets.get(r);
            if (v != Math.rint(v) || v < 0) {
                throw new IllegalArgumentException(name + " data row " + (r + 1) + ": label " + v
                        + " is not a non-negative integer");
            }
            labels[r] = (int) v;
            classes = Math.max(classes, labels[r] + 1);
        }
        return Dataset.classification(features, rows.size(), cols, labels, classes);
    }

    private String[] split(String line) {
        return line.split(java.util.regex.Pattern.quote(String.valueOf(delimiter)), -1);
    }

    /** The most classes a label column may imply: a label beyond it is almost surely not a class index. */
    public static final int MAX_CLASSES = 65_536;

    /** A class label: the digits of a non-negative integer below {@link #MAX_CLASSES}, nothing else. */
    private static float parseLabel(String cell, String name, int line, int col) {
        String t = cell.trim();
        if (t.isEmpty() || t.length() > 9 || !t.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw new IllegalArgumentException(name + " line " + line + " column " + (col + 1) + ": label '" + t
                    + "' is not a class index (a non-negative integer written in digits)");
        }
        int v = Integer.parseInt(t);
        if (v >= MAX_CLASSES) {
            throw new IllegalArgumentException(name + " line " + line + " column " + (col + 1) + ": label " + v
                    + " would make a model with " + (v + 1) + " classes; at most " + MAX_CLASSES + " are supported");
        }
        return v;
    }

    private static float parse(String cell, String name, int line, int col) {
        try {
            float v = Float.parseFloat(cell.trim());
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(name + " line " + line + " column " + (col + 1)
                        + ": non-finite value '" + cell.trim() + "'");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " line " + line + " column " + (col + 1)
                    + ": '" + cell.trim() + "' is not a number");
        }
    }
}
