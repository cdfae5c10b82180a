package dev.descent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated bad command lines and bad data files, run in-process: every one must end with exit
 * code 1, 2 or 3, exactly one line on stderr, no stack trace, no exception or error class name,
 * and no file left behind in the working directory.
 */
class BadInputFuzzTest {
    @TempDir
    Path dir;

    private static final Pattern CLASS_NAME = Pattern.compile("\\b\\w*(Exception|Error)\\b|\\bat [\\w.$]+\\(");

    @Test
    void twoHundredBadInputsEachGiveOneClearLine() throws IOException {
        List<String[]> cases = new ArrayList<>();
        Random r = new Random(2026);
        String[] badNumbers = {"-1", "0", "abc", "1e39", "NaN", "-Infinity", "99999999999", "", "2147483648", "1.5"};
        String[][] numericOptions = {{"--lr"}, {"--epochs"}, {"--weight-decay"}, {"--eps"},
                {"--beta1"}, {"--beta2"}, {"--clip-norm"}, {"--clip-value"}, {"--max-bad-steps"}, {"--warmup"},
                {"--batch-size"}, {"--stop-after"}};
        for (String[] opt : numericOptions) {
            for (String v : badNumbers) {
                if (acceptable(opt[0], v)) {
                    continue;
                }
                cases.add(new String[] {"train", "--quiet", "--epochs", "2", opt[0], v});
            }
        }
        for (String h : new String[] {"0", "-5", "100000,100000", "2147483647", "30000,30000,30000", "a,b", "16,,8"}) {
            cases.add(new String[] {"train", "--quiet", "--hidden", h});
        }
        for (String v : new String[] {"bogus", "", "cosine:5", "step:0:0.5", "exp:-1", "step:2"}) {
            cases.add(new String[] {"train", "--quiet", "--schedule", v});
        }
        for (String v : new String[] {"nope", "", "RELU2"}) {
            cases.add(new String[] {"train", "--quiet", "--activation", v});
            cases.add(new String[] {"train", "--quiet", "--init", v});
            cases.add(new String[] {"train", "--quiet", "--optimizer", v});
            cases.add(new String[] {"train", "--quiet", "--backend", v});
        }
        cases.add(new String[] {"train", "--quiet", "--epochs", "3", "--stop-after", "1"});
        cases.add(new String[] {"train", "--quiet", "--epochs", "2", "--warmup", "5"});
        cases.add(new String[] {"train", "--quiet", "--data", "x", "--csv", "y"});
        cases.add(new String[] {"train", "--quiet", "--plot", dir.resolve("p.txt").toString()});
        cases.add(new String[] {"train", "--quiet", "--plot", dir.resolve("missing/sub/x.png").toString()});
        cases.add(new String[] {"train", "--quiet", "--checkpoint", "/etc/passwd/x.ckpt"});
        cases.add(new String[] {"train", "--quiet", "--checkpoint", dir.toString()});
        cases.add(new String[] {"train", "--quiet", "--checkpoint", "/dev/null"});
        cases.add(new String[] {"train", "--quiet", "--resume", "/dev/zero"});
        cases.add(new String[] {"train", "--quiet", "--resume", dir.resolve("absent.ckpt").toString()});
        cases.add(new String[] {"train", "--quiet", "--unknown-flag"});
        cases.add(new String[] {"frobnicate"});
        for (String v : new String[] {"abc", "", "1.5", "99999999999999999999"}) {
            cases.add(new String[] {"train", "--quiet", "--seed", v});
        }
        for (String v : new String[] {"-1", "31", "40", "0", "x"}) {
            cases.add(new String[] {"bench", "--suite", "updates", "--sizes", v});
        }
        for (String v : new String[] {"0", "-3", "100000", "x", "64x784", "64x0x256", "8:ta", "4x4x4:tx", "4x4x4x4"}) {
            cases.add(new String[] {"bench", "--suite", "gemm", "--gemm", v});
        }
        for (String v : new String[] {"0", "-64", "60001", "x"}) {
            cases.add(new String[] {"bench", "--suite", "epoch", "--epoch-batches", v});
        }
        cases.add(new String[] {"bench", "--suite", "nothing"});
        cases.add(new String[] {"bench", "--backend", "nope"});
        cases.add(new String[] {"devices", "--what"});
        for (Path f : badDataFiles(r)) {
            cases.add(new String[] {"train", "--quiet", "--csv", f.toString()});
            cases.add(new String[] {"train", "--quiet", "--resume", f.toString()});
            cases.add(new String[] {"train", "--quiet", "--data", f.toString()});
        }
        for (Path d : badIdxDirectories(r)) {
            cases.add(new String[] {"train", "--quiet", "--data", d.toString()});
        }
        assertTrue(cases.size() >= 200, "generated " + cases.size() + " cases");

        Set<Path> before = listing();
        int ran = 0;
        List<String> failures = new ArrayList<>();
        for (String[] args : cases) {
          try {
            CliTest.Result res = CliTest.run(args);
            String what = String.join(" ", args);
            assertTrue(res.code() >= 1 && res.code() <= 3, what + " -> exit " + res.code() + "\n" + res.out() + res.err());
            String err = res.err().strip();
            assertEquals(1, err.lines().count(), what + " -> stderr:\n" + res.err());
            assertTrue(err.startsWith("descent: "), what + " -> " + err);
            assertFalse(CLASS_NAME.matcher(err).find(), what + " -> names a class: " + err);
            ran++;
          } catch (AssertionError e) {
            failures.add(e.getMessage());
          }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " bad inputs misbehaved:\n"
                + String.join("\n", failures));
        assertEquals(before, listing(), "no file left behind");
        System.out.println("[fuzz] " + ran + " bad inputs, each one line on stderr with exit 1-3");
    }

    /** Values of an option that are not an error for it (so the case would train). */
    private static boolean acceptable(String option, String v) {
        if ((v.equals("99999999999") || v.equals("2147483648"))
                && Set.of("--weight-decay", "--eps", "--clip-norm", "--clip-value").contains(option)) {
            return true;  // large, but finite and within float range: legal
        }
        if (v.equals("1.5") && Set.of("--lr", "--weight-decay", "--eps", "--clip-norm", "--clip-value").contains(option)) {
            return true;
        }
        return v.equals("0") && Set.of("--momentum", "--weight-decay", "--clip-norm", "--clip-value", "--warmup",
                "--beta1").contains(option);
    }

    private Set<Path> listing() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private List<Path> badDataFiles(Random r) throws IOException {
        Path files = Files.createDirectories(dir.resolve("files"));
        List<Path> out = new ArrayList<>();
        out.add(write(files, "text.csv", "hello world\nthis is not a csv\n"));
        out.add(write(files, "header-only.csv", "label,a,b\n"));
        out.add(write(files, "one-row.csv", "label,a,b\n1,0.5,0.25\n"));
        out.add(write(files, "ragged.csv", "label,a,b\n1,2,3\n0,1\n"));
        out.add(write(files, "nan.csv", "label,a,b\n1,NaN,3\n0,1,2\n"));
        out.add(write(files, "label-float.csv", "label,a\n1.5,2\n0,1\n"));
        out.add(write(files, "label-exp.csv", "label,a\n1e9,2\n0,1\n"));
        out.add(write(files, "label-huge.csv", "label,a\n5000000,2\n0,1\n"));
        out.add(write(files, "label-negative.csv", "label,a\n-1,2\n0,1\n"));
        byte[] latin1 = "label,a\n1,caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        out.add(Files.write(files.resolve("latin1.csv"), latin1));
        byte[] binary = new byte[4096];
        r.nextBytes(binary);
        out.add(Files.write(files.resolve("binary.csv"), binary));
        out.add(Files.write(files.resolve("empty.csv"), new byte[0]));
        out.add(Files.write(files.resolve("truncated.gz"), java.util.Arrays.copyOf(gzip(new byte[1000]), 30)));
        out.add(Files.createDirectories(files.resolve("a-directory.csv")));
        return out;
    }

    private List<Path> badIdxDirectories(Random r) throws IOException {
        List<Path> out = new ArrayList<>();
        out.add(dir.resolve("no-such-dir"));
        Path empty = Files.createDirectories(dir.resolve("idx-empty"));
        out.add(empty);
        Path huge = Files.createDirectories(dir.resolve("idx-huge-header"));
        java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(16).putInt(0x00000803).putInt(1 << 30).putInt(28).putInt(28);
        for (String name : new String[] {"train-images-idx3-ubyte", "t10k-images-idx3-ubyte"}) {
            Files.write(huge.resolve(name), h.array());
        }
        for (String name : new String[] {"train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"}) {
            Files.write(huge.resolve(name), java.nio.ByteBuffer.allocate(8).putInt(0x00000801).putInt(1 << 30).array());
        }
        out.add(huge);
        Path garbage = Files.createDirectories(dir.resolve("idx-garbage"));
        for (String name : new String[] {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
            byte[] b = new byte[64];
            r.nextBytes(b);
            Files.write(garbage.resolve(name), b);
        }
        out.add(garbage);
        return out;
    }

    private static Path write(Path dir, String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }
}
