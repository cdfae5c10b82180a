package dev.descent.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadersTest {
    @TempDir
    Path dir;

    /** An IDX byte file: magic 0x0000080N, dims, then payload. */
    private static byte[] idx(int[] dims, byte[] payload) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x0800 | dims.length);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(payload);
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }

    private Path write(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    private String error(Path p) {
        return assertThrows(IllegalArgumentException.class, () -> IdxReader.read(p)).getMessage();
    }

    @Test
    void readsPlainAndGzipIdentically() throws IOException {
        byte[] raw = idx(new int[] {2, 2, 3}, new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, (byte) 255});
        IdxReader.Idx plain = IdxReader.read(write("p.idx", raw));
        IdxReader.Idx gz = IdxReader.read(write("p.idx.gz", gzip(raw)));
        assertArrayEquals(new int[] {2, 2, 3}, plain.dims());
        assertArrayEquals(plain.data(), gz.data());
        assertEquals(6, plain.itemSize());
        Dataset d = IdxReader.images(plain, IdxReader.read(write("l.idx", idx(new int[] {2}, new byte[] {3, 9}))), "t");
        assertEquals(2, d.rows());
        assertEquals(6, d.cols());
        assertEquals(255f, d.features()[11], "raw pixel values; DataSources.PIXELS scales them");
        assertEquals(9f, d.targets()[1]);
    }

    @Test
    void malformedIdxFilesAreRejectedWithTheReason() throws IOException {
        assertTrue(error(write("magic", new byte[] {0, 0, 0x0d, 1, 0, 0, 0, 1, 5})).contains("not an unsigned-byte IDX"));
        assertTrue(error(write("short", gzip(idx(new int[] {4, 3}, new byte[5])))).contains("truncated"));
        assertTrue(error(write("long", idx(new int[] {1}, new byte[] {1, 2}))).contains("more bytes than the 1 its header"));
        assertTrue(error(write("zero", idx(new int[] {0, 3}, new byte[0]))).contains("dimension 0 = 0"));
        assertTrue(error(write("empty", new byte[0])).contains("truncated"));
        assertTrue(error(dir.resolve("absent")).contains("does not exist"));
        IdxReader.Idx images = IdxReader.read(write("i", idx(new int[] {3, 2}, new byte[6])));
        IdxReader.Idx labels = IdxReader.read(write("l", idx(new int[] {2}, new byte[2])));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> IdxReader.images(images, labels, "x"))
                .getMessage().contains("3 images but 2 labels"));
    }

    @Test
    void corruptGzipIsNamedAsSuch() throws IOException {
        byte[] gz = gzip(idx(new int[] {3}, new byte[] {1, 2, 3}));
        gz[gz.length - 8] ^= 0x5a; // the CRC32 in the gzip trailer
        String msg = error(write("crc.gz", gz));
        assertTrue(msg.contains("crc.gz is a corrupt gzip file"), msg);
    }

    @Test
    void headerDeclaringMoreThanTheHeapIsRefusedBeforeAllocating() throws IOException {
        // 20 bytes of gzip that declare 2^31 - 9 bytes: the tests' 4 GB heap cannot hold them as floats.
        String msg = error(write("bomb.gz", gzip(idx(new int[] {Integer.MAX_VALUE - 9}, new byte[0]))));
        assertTrue(msg.contains("bomb.gz (2147483638 declared bytes, decoded to floats) needs 10,240 MiB of JVM heap"), msg);
    }

    @Test
    void ioErrorsNameTheCauseNotJustThePath() {
        assertEquals("permission denied", dev.descent.internal.Check.ioReason(new java.nio.file.AccessDeniedException("/x")));
        assertTrue(error(dir).endsWith("is unreadable: Is a directory"), error(dir));
    }

    @Test
    void idxDirectoryNeedsAllFourFiles() throws IOException {
        write("train-images-idx3-ubyte.gz", gzip(idx(new int[] {2, 2, 2}, new byte[8])));
        write("train-labels-idx1-ubyte", idx(new int[] {2}, new byte[] {0, 1}));
        String msg = assertThrows(IllegalArgumentException.class, () -> DataSources.idxDirectory(dir)).getMessage();
        assertTrue(msg.contains("t10k-images-idx3-ubyte"), msg);
        write("t10k-images-idx3-ubyte", idx(new int[] {1, 2, 2}, new byte[4]));
        write("t10k-labels-idx1-ubyte", idx(new int[] {1}, new byte[] {1}));
        DataSources.Split split = DataSources.idxDirectory(dir);
        assertEquals(2, split.train().rows());
        assertEquals(1, split.heldOut().rows());
    }

    @Test
    void embeddedDataIsTheFixedSplit() {
        DataSources.Split split = DataSources.embedded();
        assertEquals(8000, split.train().rows());
        assertEquals(2000, split.heldOut().rows());
        assertEquals(784, split.train().cols());
        assertEquals(10, split.train().classes());
    }

    private Dataset csv(String text, CsvReader reader) throws IOException {
        return reader.read(write("d.csv", text.getBytes(StandardCharsets.UTF_8)));
    }

    private String csvError(String text) {
        return assertThrows(IllegalArgumentException.class, () -> csv(text, CsvReader.labelsFirst(true))).getMessage();
    }

    @Test
    void csvReadsLabelColumnAndHeader() throws IOException {
        Dataset d = csv("label,a,b\n1,0.5,2\n\n0,-1,3e2\n", CsvReader.labelsFirst(true));
        assertEquals(2, d.rows());
        assertArrayEquals(new float[] {0.5f, 2f, -1f, 300f}, d.features());
        assertArrayEquals(new float[] {1, 0}, d.targets());
        Dataset last = csv("0.5;2;1\n-1;3;2\n", new CsvReader(-1, false, ';', true));
        assertEquals(3, last.classes());
        Dataset reg = csv("1.5,2\n-0.25,4\n", new CsvReader(0, false, ',', false));
        assertArrayEquals(new float[] {1.5f, -0.25f}, reg.targets());
    }

    @Test
    void csvDialectsQuotingHeadersAndWordLabels() throws IOException {
        // Semicolons and a quoted header cell, detected; the label named in the header; words as labels.
        CsvReader byName = new CsvReader(CsvReader.Header.AUTO, "kind", null, true, null);
        Path f = write("w.csv", "\"width; cm\";kind;height\n1,5;cat;2\n3;dog;4\n\n5;cat;6\n".replace("1,5", "1.5")
                .getBytes(StandardCharsets.UTF_8));
        CsvReader.Table t = byName.readTable(f);
        assertEquals(List.of("cat", "dog"), t.classNames(), "sorted distinct words");
        assertArrayEquals(new float[] {1.5f, 2, 3, 4, 5, 6}, t.data().features());
        assertArrayEquals(new float[] {0, 1, 0}, t.data().targets());
        // Mapped onto a model's classes; a word the model does not know is an error naming it.
        Dataset mapped = byName.withClasses(List.of("bird", "cat", "dog")).read(f);
        assertArrayEquals(new float[] {1, 2, 1}, mapped.targets());
        String unknown = assertThrows(IllegalArgumentException.class,
                () -> byName.withClasses(List.of("dog")).read(f)).getMessage();
        assertTrue(unknown.contains("line 2 column 2: label 'cat' is not one of the model's classes [dog]"), unknown);
        // Tabs, no header (AUTO sees numbers), label last; quoted numbers are numbers.
        Dataset tabs = new CsvReader(CsvReader.Header.AUTO, "last", null, true, null)
                .read(write("t.csv", "0.5\t\"2\"\t1\n-1\t3\t0\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(2, tabs.rows());
        assertArrayEquals(new float[] {0.5f, 2, -1, 3}, tabs.features());
        assertArrayEquals(new float[] {1, 0}, tabs.targets());
        // A quoted field may hold the delimiter.
        Dataset quoted = CsvReader.labelsFirst(true).read(write("q.csv", "label,\"a,b\"\n1,\"2.5\"\n"
                .getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals(new float[] {2.5f}, quoted.features());
        String noHeader = assertThrows(IllegalArgumentException.class, () -> new CsvReader(CsvReader.Header.NO, "kind",
                ',', true, null).read(write("n.csv", "1,2\n".getBytes(StandardCharsets.UTF_8)))).getMessage();
        assertTrue(noHeader.contains("label column 'kind' is a name, but the file has no header line"), noHeader);
        String missing = assertThrows(IllegalArgumentException.class, () -> new CsvReader(CsvReader.Header.YES, "size",
                ',', true, null).read(write("m.csv", "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8)))).getMessage();
        assertTrue(missing.contains("no column named 'size' in the header [a, b]"), missing);
        assertEquals('\t', CsvReader.delimiter("tab"));
        assertEquals(null, CsvReader.delimiter("auto"));
        assertThrows(IllegalArgumentException.class, () -> CsvReader.delimiter(",;"));
    }

    @Test
    void malformedCsvIsRejectedWithLineAndColumn() {
        assertTrue(csvError("h\n1,2,x\n").contains("line 2 column 3: 'x' is not a number"));
        assertTrue(csvError("h\n1,2,3\n1,2\n").contains("line 3: 2 columns, expected 3"));
        assertTrue(csvError("h\n1,NaN\n").contains("non-finite"));
        assertTrue(csvError("h\n").contains("no data rows"));
        assertTrue(csvError("h\n1.5,2\n").contains("line 2 column 1: label '1.5' is not a class index"));
        assertTrue(csvError("h\n1e9,2\n").contains("label '1e9' is not a class index"));
        assertTrue(csvError("h\n5000000,2\n").contains("label 5000000 would make a model with 5000001 classes"));
        assertTrue(csvError("h\n7\n").contains("at least one feature"));
    }

    @Test
    void seededSplitIsDeterministicAndDisjoint() {
        Dataset data = Dataset.classification(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10, 1,
                new int[] {0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, 2);
        DataSources.Split a = DataSources.randomSplit(data, 3, 5);
        DataSources.Split b = DataSources.randomSplit(data, 3, 5);
        assertArrayEquals(a.heldOut().features(), b.heldOut().features());
        assertEquals(7, a.train().rows());
        java.util.Set<Float> seen = new java.util.HashSet<>();
        for (float v : a.train().features()) {
            seen.add(v);
        }
        for (float v : a.heldOut().features()) {
            assertTrue(seen.add(v), "row in both splits: " + v);
        }
    }

    @Test
    void normalizationUsesTrainingStatistics() {
        Dataset train = Dataset.regression(new float[] {1, 10, 3, 10}, 2, 2, new float[] {0, 0}, 1);
        Normalization n = Normalization.standardize(train);
        Dataset t = train.normalized(n);
        assertArrayEquals(new float[] {-1, 0, 1, 0}, t.features());
        Dataset scaled = train.normalized(Normalization.uniform(0, 255));
        assertEquals(10 / 255f, scaled.features()[1], 1e-9);
    }
}
