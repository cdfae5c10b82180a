package dev.descent.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads CSV through Apache Commons CSV (quoted fields, CRLF, a header line or none): one sample
 * per record, one column holding the target and every other column a feature. Blank lines are
 * skipped; a cell that is not a number is an error naming the file, line and column.
 *
 * <p>Class labels are either class indices (non-negative integers: classes = largest + 1) or
 * words ("cat", "dog"): when any label is not a number, every label is a word and the classes
 * are the distinct words in sorted order, returned as {@link Table#classNames()} so a checkpoint
 * can keep them. Given {@link #withClasses}, words map onto those names instead (scoring new data
 * with a trained model's classes); numeric labels are always class indices.
 */
public final class CsvReader {
    /**
     * Whether the first record names the columns.
     */
    public enum Header {
        /** The first record is a header. */
        YES,
        /** Every record is data. */
        NO,
        /** A header when a feature cell of the first record is not a number. */
        AUTO
    }

    /**
     * The rows read, and the class names when the labels were words.
     *
     * @param data the rows
     * @param classNames the label words in class-index order; empty for numeric labels
     */
    public record Table(Dataset data, List<String> classNames) {}

    /** The most classes a label column may imply: a label beyond it is almost surely not a class index. */
    public static final int MAX_CLASSES = 65_536;

    private final Header header;
    /** "N" (1-based), a header name, "last", or null: every column is a feature. */
    private final String labelColumn;
    /** null: detected from the first line (the most frequent of ',', ';' and tab). */
    private final Character delimiter;
    private final boolean classification;
    private final List<String> classes;

    /**
     * A reader.
     *
     * @param header whether the first record names the columns
     * @param labelColumn "N" (1-based), a header name, "last", or null: every column is a feature
     * @param delimiter the cell separator, or null to detect it from the first line (the most frequent
     *        of ',', ';' and tab)
     * @param classification labels are classes (numbers or words) rather than regression targets
     * @param classes class names that word labels map onto, or null/empty to derive them from the file
     */
    public CsvReader(Header header, String labelColumn, Character delimiter, boolean classification, List<String> classes) {
        if (header == null) {
            throw new IllegalArgumentException("header must be YES, NO or AUTO, got null");
        }
        if (labelColumn != null && labelColumn.isBlank()) {
            throw new IllegalArgumentException("labelColumn must be a 1-based index, a header name or 'last', got ''");
        }
        this.header = header;
        this.labelColumn = labelColumn;
        this.delimiter = delimiter;
        this.classification = classification;
        this.classes = classes == null || classes.isEmpty() ? null : List.copyOf(classes);
    }

    /**
     * A reader with a numeric label column.
     *
     * @param labelColumn    0-based index of the target column; -1 means the last column
     * @param header         skip the first line
     * @param delimiter      the cell separator
     * @param classification integer labels (classes = largest label + 1) or one regression target
     */
    public CsvReader(int labelColumn, boolean header, char delimiter, boolean classification) {
        this(header ? Header.YES : Header.NO, zeroBased(labelColumn), delimiter, classification, null);
    }

    private static String zeroBased(int labelColumn) {
        if (labelColumn < -1) {
            throw new IllegalArgumentException("labelColumn must be >= -1 (-1 = last), got " + labelColumn);
        }
        return labelColumn == -1 ? "last" : String.valueOf(labelColumn + 1);
    }

    /**
     * Every column a feature (data to predict on), comma-separated; the data set's targets are zeros.
     *
     * @param header skip the first line
     * @return the reader
     */
    public static CsvReader featuresOnly(boolean header) {
        return new CsvReader(header ? Header.YES : Header.NO, null, ',', false, null);
    }

    /**
     * Label in column 1, comma-separated, classification.
     *
     * @param header skip the first line
     * @return the reader
     */
    public static CsvReader labelsFirst(boolean header) {
        return new CsvReader(header ? Header.YES : Header.NO, "1", ',', true, null);
    }

    /**
     * The same reader with word labels mapped onto {@code names} (a trained model's classes).
     *
     * @param names class names by index
     * @return a new reader
     */
    public CsvReader withClasses(List<String> names) {
        return new CsvReader(header, labelColumn, delimiter, classification, names);
    }

    /**
     * The same reader with every column a feature.
     *
     * @return a new reader
     */
    public CsvReader featuresOnly() {
        return new CsvReader(header, null, delimiter, false, classes);
    }

    /**
     * Reads a file into a data set.
     *
     * @param file the CSV file
     * @return the rows
     */
    public Dataset read(Path file) {
        return readTable(file).data();
    }

    /**
     * The number of columns in the file's first data record (after any header), without parsing cells.
     *
     * @param file the CSV file
     * @return the column count
     */
    public int columns(Path file) {
        return withFile(file, in -> {
            try (CSVParser parser = parser(in)) {
                boolean first = true;
                for (CSVRecord record : parser) {
                    String[] cells = record.values();
                    if (first) {
                        first = false;
                        if (isHeader(cells)) {
                            continue;
                        }
                    }
                    return cells.length;
                }
            }
            throw new IllegalArgumentException(file + " has no data rows");
        });
    }

    /**
     * Reads a file, keeping the class names of word labels.
     *
     * @param file the CSV file
     * @return the rows and the class names
     */
    public Table readTable(Path file) {
        return withFile(file, in -> read(in, file.toString()));
    }

    private interface FileBody<T> {
        T read(BufferedReader in) throws IOException;
    }

    /** Runs {@code body} on the file as UTF-8; a missing, undecodable or unreadable file is one line naming it. */
    private static <T> T withFile(Path file, FileBody<T> body) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return body.read(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("CSV file " + file + " does not exist");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("CSV file " + file + " is not UTF-8 text (an invalid byte sequence;"
                    + " convert it, e.g. with iconv, or check it is a CSV file)");
        } catch (IOException e) {
            throw new IllegalArgumentException("CSV file " + file + " is unreadable: " + dev.descent.internal.Check.ioReason(e));
        }
    }

    /** A parser over {@code in}, with the delimiter given or detected from the first line. */
    private CSVParser parser(BufferedReader in) throws IOException {
        in.mark(1 << 16);
        char sep = delimiter != null ? delimiter : detectDelimiter(in);
        in.reset();
        return CSVFormat.DEFAULT.builder().setDelimiter(sep).setIgnoreEmptyLines(true).setIgnoreSurroundingSpaces(true)
                .build().parse(in);
    }

    /** Whether the first record is a header line under this reader's {@link Header} setting. */
    private boolean isHeader(String[] first) {
        return header == Header.YES || header == Header.AUTO && looksLikeHeader(first);
    }

    /**
     * Reads CSV from a reader.
     *
     * @param in the text
     * @param name what error messages call the source
     * @return the rows and the class names
     * @throws IOException when reading fails
     */
    public Table read(BufferedReader in, String name) throws IOException {
        List<float[]> rows = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<Long> labelLines = new ArrayList<>();
        int width = -1;
        int label = -2;        // resolved on the first data record
        String[] names = null; // the header line's cells, if there is one
        try (CSVParser parser = parser(in)) {
            boolean first = true;
            for (CSVRecord record : parser) {
                long line = parser.getCurrentLineNumber();
                String[] cells = record.values();
                if (first) {
                    first = false;
                    if (isHeader(cells)) {
                        names = cells;
                        continue;
                    }
                }
                if (width == -1) {
                    width = cells.length;
                    label = resolveLabel(width, names, name);
                    if (width < (label < 0 ? 1 : 2)) {
                        throw new IllegalArgumentException(name + " line " + line + ": needs a label and at least one"
                                + " feature column, found " + width + " column(s)");
                    }
                } else if (cells.length != width) {
                    throw new IllegalArgumentException(name + " line " + line + ": " + cells.length
                            + " columns, expected " + width);
                }
                float[] x = new float[label < 0 ? width : width - 1];
                for (int c = 0, j = 0; c < width; c++) {
                    if (c == label) {
                        labels.add(cells[c]);
                        labelLines.add(line);
                    } else {
                        x[j++] = parse(cells[c], name, line, c);
                    }
                }
                rows.add(x);
            }
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException(name + ": " + e.getCause().getMessage());
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(name + " has no data rows");
        }
        int cols = rows.get(0).length;
        float[] features = new float[rows.size() * cols];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, features, r * cols, cols);
        }
        if (label < 0) {
            return new Table(Dataset.regression(features, rows.size(), cols, new float[rows.size()], 1), List.of());
        }
        if (!classification) {
            float[] t = new float[labels.size()];
            for (int r = 0; r < t.length; r++) {
                t[r] = parse(labels.get(r), name, labelLines.get(r), label);
            }
            return new Table(Dataset.regression(features, rows.size(), cols, t, 1), List.of());
        }
        return classify(features, rows.size(), cols, labels, labelLines, label, name);
    }

    /** Class indices, or words mapped to sorted names (or to the given names). */
    private Table classify(float[] features, int rows, int cols, List<String> labels, List<Long> lines, int col,
                           String name) {
        boolean words = labels.stream().anyMatch(s -> !isNumber(s));
        int[] y = new int[rows];
        if (!words) {
            int count = 2;
            for (int r = 0; r < rows; r++) {
                y[r] = classIndex(labels.get(r), name, lines.get(r), col);
                count = Math.max(count, y[r] + 1);
            }
            return new Table(Dataset.classification(features, rows, cols, y, count), List.of());
        }
        List<String> names = classes != null ? classes : List.copyOf(new TreeSet<>(labels));
        if (names.size() > MAX_CLASSES) {
            throw new IllegalArgumentException(name + ": " + names.size() + " distinct labels in column " + (col + 1)
                    + "; at most " + MAX_CLASSES + " classes are supported");
        }
        java.util.Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i), i);
        }
        for (int r = 0; r < rows; r++) {
            Integer c = index.get(labels.get(r));
            if (c == null) {
                throw new IllegalArgumentException(name + " line " + lines.get(r) + " column " + (col + 1) + ": label '"
                        + labels.get(r) + "' is not one of the model's classes " + names);
            }
            y[r] = c;
        }
        return new Table(Dataset.classification(features, rows, cols, y, Math.max(2, names.size())), names);
    }

    /** The label column's 0-based index in records of {@code width} cells, -1 for none. */
    private int resolveLabel(int width, String[] names, String name) {
        if (labelColumn == null) {
            return -1;
        }
        if (labelColumn.equalsIgnoreCase("last")) {
            return width - 1;
        }
        if (labelColumn.chars().allMatch(Character::isDigit)) {
            int n = Integer.parseInt(labelColumn);
            if (n < 1 || n > width) {
                throw new IllegalArgumentException(name + ": label column " + n + " but lines have " + width
                        + " columns (columns count from 1)");
            }
            return n - 1;
        }
        if (names == null) {
            throw new IllegalArgumentException(name + ": label column '" + labelColumn + "' is a name, but the file"
                    + " has no header line (its first line is data)");
        }
        for (int c = 0; c < names.length; c++) {
            if (names[c].equals(labelColumn)) {
                return c;
            }
        }
        throw new IllegalArgumentException(name + ": no column named '" + labelColumn + "' in the header "
                + Arrays.toString(names));
    }

    /** A header line has a feature cell that is not a number (labels may be words in any line). */
    private boolean looksLikeHeader(String[] cells) {
        int named = -1;
        if (labelColumn != null && labelColumn.equalsIgnoreCase("last")) {
            named = cells.length - 1;
        } else if (labelColumn != null && labelColumn.chars().allMatch(Character::isDigit)) {
            named = Integer.parseInt(labelColumn) - 1;
        } else if (labelColumn != null) {
            return true;  // a label column given by name only exists in a header
        }
        for (int c = 0; c < cells.length; c++) {
            if (c != named && !isNumber(cells[c])) {
                return true;
            }
        }
        return false;
    }

    /** The most frequent of ',', ';' and tab in the first non-blank line (outside quotes); ',' on a tie. */
    static char detectDelimiter(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
        } while (line != null && line.isBlank());
        if (line == null) {
            return ',';
        }
        int[] counts = new int[3];
        boolean quoted = false;
        for (char ch : line.toCharArray()) {
            if (ch == '"') {
                quoted = !quoted;
            } else if (!quoted) {
                counts[0] += ch == ',' ? 1 : 0;
                counts[1] += ch == ';' ? 1 : 0;
                counts[2] += ch == '\t' ? 1 : 0;
            }
        }
        return counts[1] > counts[0] && counts[1] >= counts[2] ? ';' : counts[2] > counts[0] && counts[2] > counts[1]
                ? '\t' : ',';
    }

    /**
     * What --csv-delimiter accepts: a single character, "tab", or "auto".
     *
     * @param option the option's value
     * @return the delimiter, or null for auto-detection
     */
    public static Character delimiter(String option) {
        String o = option.toLowerCase(Locale.ROOT);
        if (o.equals("auto")) {
            return null;
        }
        if (o.equals("tab") || option.equals("\t")) {
            return '\t';
        }
        if (option.length() == 1 && option.charAt(0) != '"') {
            return option.charAt(0);
        }
        throw new IllegalArgumentException("--csv-delimiter must be one character, tab or auto, got '" + option + "'");
    }

    private static boolean isNumber(String s) {
        try {
            Float.parseFloat(s.trim());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** A class index: the digits of a non-negative integer below {@link #MAX_CLASSES}, nothing else. */
    private static int classIndex(String cell, String name, long line, int col) {
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

    private static float parse(String cell, String name, long line, int col) {
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
