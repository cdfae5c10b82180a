package dev.descent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: exit codes, one-line errors, the final accuracy line. */
class CliTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Whether CUDA opens here: a GPU host, where the tests that need it unavailable skip. */
    static boolean cudaHere() {
        return dev.descent.Backends.probe("cuda").available();
    }

    /** A small, fast configuration on the embedded data. */
    private static String[] quick(String... extra) {
        String[] base = {"train", "--hidden", "32", "--batch-size", "128", "--quiet"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void checkComparesEveryFamilyAndSaysPassed() {
        Result r = run("check", "--backend", "cpu", "--seed", "11");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("check: cpu ("), r.out());
        assertTrue(r.out().contains("seed 11"), r.out());
        for (String family : new String[] {"gemm", "loss", "gatherRows", "adamw amsgrad clip-both", "radam wd", "training"}) {
            assertTrue(r.out().contains("\n  " + family + " "), family + " missing from\n" + r.out());
        }
        int expected = dev.descent.verify.BackendCheck.expectedComparisons();
        assertTrue(r.lastLine().startsWith("passed: " + expected + " comparisons in 30 families"), r.lastLine());
        assertTrue(r.lastLine().endsWith(", seed 11)"), "the verdict line alone names the seed: " + r.lastLine());
    }

    @Test
    void checkJsonCarriesTheVerdictAndEveryFamily() {
        Result r = run("check", "--backend", "cpu", "--seed", "12", "--json");
        assertEquals(0, r.code(), r.out() + r.err());
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertEquals("cpu", o.get("backend").getAsString());
        assertEquals(12, o.get("seed").getAsLong());
        assertTrue(o.get("passed").getAsBoolean(), r.out());
        assertEquals(dev.descent.verify.BackendCheck.expectedComparisons(), o.get("comparisons").getAsInt());
        assertEquals(30, o.getAsJsonArray("families").size());
        com.google.gson.JsonObject gemm = o.getAsJsonArray("families").get(0).getAsJsonObject();
        assertEquals("gemm", gemm.get("name").getAsString());
        assertTrue(gemm.get("worst_error").getAsDouble() > 0 && gemm.get("worst_error").getAsDouble() < 1e-5, gemm.toString());
        assertEquals(0, o.getAsJsonArray("mismatches").size());
    }

    @Test
    void checkListsMismatchesWithTheSeedAndExitsOne() {
        dev.descent.verify.ParityLog log = dev.descent.verify.ParityLog.collecting();
        for (int i = 0; i < 25; i++) {
            log.compare("gemm", "cpu gemm case " + i, i == 0 ? 1e-6 : 2e-5, 1e-5);
        }
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = CheckCommand.report(log, "cpu", 99, 0.1);
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, text);
        assertTrue(text.contains("MISMATCH (24)"), text);
        assertTrue(text.contains("MISMATCH cpu gemm case 1: relative L2 error 2.0E-5 > 1.0E-5"), text);
        assertTrue(text.contains("... and 4 more"), text);
        assertTrue(text.contains("FAILED: 24 mismatches in 25 comparisons on cpu (0.1 s); reproduce with --seed 99"), text);
    }

    @Test
    void benchMeasuresTrainingsGemmShapesWithTheirTransposes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path json = dir.resolve("gemm.jsonl");
        Result r = run("bench", "--backend", "cpu", "--suite", "gemm", "--gemm", "24,16x40x8,40x16x8:ta,16x8x40:tb",
                "--seconds", "0.01", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        for (String label : new String[] {"24^3", "16x40x8 ", "40x16x8:ta", "16x8x40:tb"}) {
            assertTrue(r.out().contains("gemm      " + label), label + " in " + r.out());
        }
        List<String> lines = java.nio.file.Files.readAllLines(json);
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("\"n\":24") && !lines.get(0).contains("shape"), lines.get(0));
        assertTrue(lines.get(2).contains("\"shape\":\"40x16x8:ta\"") && lines.get(2).contains("\"m\":40")
                && lines.get(2).contains("\"k\":16"), lines.get(2));
    }

    @Test
    void benchTrainsOneEpochOfSixtyThousandSamplesPerBatchSize(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path json = dir.resolve("epoch.jsonl");
        Result r = run("bench", "--backend", "cpu", "--suite", "epoch", "--models", "12-6-3", "--epoch-batches",
                "1000,60000", "--seconds", "0.01", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch     12-6-3             batch  1000"), r.out());
        assertTrue(r.out().contains("epoch     12-6-3             batch 60000"), r.out());
        List<String> lines = java.nio.file.Files.readAllLines(json);
        assertEquals(2, lines.size(), String.join("\n", lines));
        for (String line : lines) {
            assertTrue(line.contains("\"suite\":\"epoch\"") && line.contains("\"rows\":60000")
                    && line.matches(".*\"samples_per_s\":[0-9.E]+.*"), line);
        }
    }

    @Test
    void devicesListsEveryBackendAndExitsZero() {
        Result r = run("devices");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("(?s).*cpu\\s+available.*"), r.out());
        // On a GPU host CUDA is available instead, with its device named.
        assertTrue(r.out().matches(cudaHere() ? "(?s).*cuda\\s+available\\s+\\S.*" : "(?s).*cuda\\s+unavailable\\s+CUDA: .*"),
                r.out());
        // OpenCL depends on the machine: PoCL (installed by .ci/run) makes it available.
        assertTrue(r.out().matches("(?s).*opencl\\s+(available\\s+\\S.*|unavailable\\s+OpenCL: .*)"), r.out());
    }

    @Test
    void unavailableBackendIsAnErrorNotAFallback() {
        Assumptions.assumeFalse(cudaHere(), "CUDA opens on this machine (a GPU host), so it cannot be the unavailable backend");
        Result r = run(quick("--backend", "cuda", "--epochs", "1"));
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("backend cuda is unavailable: CUDA:"), r.err());
        if (!java.nio.file.Files.exists(java.nio.file.Path.of("/dev/nvidiactl"))) {
            // No driver on this machine: the reason must name the missing library, not a loader error.
            assertTrue(r.err().contains("libcuda.so.1 not found"), r.err());
        }
        assertTrue(!r.out().contains("test accuracy"));
    }

    @Test
    void badArgumentsExitTwoWithOneLine() {
        String[][] cases = {
            {"train", "--lr", "-1"}, {"train", "--epochs", "abc"}, {"train", "--optimizer", "lion"},
            {"train", "--batch-size", "0"}, {"train", "--data", dir.resolve("nowhere").toString()},
            {"train", "--beta2", "1.0"}, {"train", "--momentum", "0", "--nesterov", "--optimizer", "sgd"},
            {"train", "--activation", "swish"}, {"train", "--schedule", "zigzag"}, {"train", "--unknown"},
            {"train", "--plot", "curves.jpg"}, {"train", "--resume", dir.resolve("none.ckpt").toString()},
            {"train", "--hidden", "64,0"}, {"train", "--eps", "0"}, {"train", "--clip-norm", "-2"}};
        for (String[] args : cases) {
            Result r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), String.join(" ", args) + " -> " + r.err());
            assertTrue(r.err().startsWith("descent: "), r.err());
        }
    }

    @Test
    void csvWithOneRowSaysItNeedsTwo() throws IOException {
        Path csv = Files.writeString(dir.resolve("one.csv"), "label,a,b\n1,0.5,0.25\n");
        Result r = run("train", "--csv", csv.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("has 1 data row; at least 2 are needed"), r.err());
    }

    @Test
    void trainPrintsEpochLinesAndTheExactFinalLineAndWritesPlotAndCheckpoint() throws Exception {
        Path png = dir.resolve("curves.png");
        Path ck = dir.resolve("run.ckpt");
        Result r = run(quick("--epochs", "2", "--plot", png.toString(), "--checkpoint", ck.toString()));
        assertEquals(0, r.code(), r.err());
        // Without a GPU, auto must not pick an OpenCL CPU device (PoCL); on a GPU host it picks CUDA.
        assertTrue(r.out().contains("backend: auto chose " + (cudaHere() ? "cuda" : "cpu")), r.out());
        assertEquals(2, r.out().lines().filter(l -> l.startsWith("epoch ")).count(), r.out());
        assertTrue(r.lastLine().matches("test accuracy: 0\\.\\d{4}"), r.lastLine());
        assertTrue(r.out().contains(", 784 features, 10 classes\n"), "the inferred class count is stated: " + r.out());
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
        assertEquals("2", Checkpoint.load(ck).metadata().get("epochs_completed"));
    }

    @Test
    void resumeOnTheCpuIsBitExactInEveryArray() {
        assertTrue(dev.descent.ResumeChecks.cliResumeIsBitExact("cpu", dir) > 1000);
    }

    @Test
    void resumeContinuesExactlyWhereTheCheckpointLeftOff() {
        Path ck = dir.resolve("half.ckpt");
        Result straight = run(quick("--epochs", "3", "--optimizer", "nadam"));
        Result first = run(quick("--epochs", "3", "--stop-after", "1", "--optimizer", "nadam", "--checkpoint",
                ck.toString()));
        Result resumed = run(quick("--epochs", "3", "--optimizer", "nadam", "--resume", ck.toString()));
        assertEquals(0, first.code(), first.err());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resumed from"), resumed.out());
        assertEquals(straight.lastLine(), resumed.lastLine());
        Result wrongSeed = run(quick("--epochs", "3", "--optimizer", "nadam", "--seed", "1", "--resume", ck.toString()));
        assertEquals(2, wrongSeed.code());
        assertTrue(wrongSeed.err().contains("--seed 1 contradicts the checkpoint's --seed 42"), wrongSeed.err());
        // --resume alone: every other option comes from the checkpoint.
        Result alone = run("train", "--quiet", "--resume", ck.toString());
        assertEquals(0, alone.code(), alone.err());
        assertEquals(straight.lastLine(), alone.lastLine());
    }

    /** --stop-after names an epoch of the whole run; +N counts from the epochs already done. */
    @Test
    void stopAfterIsAnEpochOfTheRunOrPlusNMore() {
        Path ck = dir.resolve("stop.ckpt");
        assertEquals(0, run(quick("--epochs", "4", "--stop-after", "1", "--checkpoint", ck.toString())).code());
        Result plusOne = run("train", "--quiet", "--resume", ck.toString(), "--checkpoint", ck.toString(), "--stop-after", "+1");
        assertEquals(0, plusOne.code(), plusOne.err());
        assertEquals("2", Checkpoint.load(ck).metadata().get("epochs_completed"), plusOne.out());
        Result absolute = run("train", "--quiet", "--resume", ck.toString(), "--checkpoint", ck.toString(), "--stop-after", "3");
        assertEquals(0, absolute.code(), absolute.err());
        assertEquals("3", Checkpoint.load(ck).metadata().get("epochs_completed"), absolute.out());
        Result behind = run("train", "--quiet", "--resume", ck.toString(), "--checkpoint", ck.toString(), "--stop-after", "2");
        assertEquals(2, behind.code());
        assertTrue(behind.err().contains("--stop-after 2 names the epoch of the whole run to stop after; it must be in"
                + " [4, 4] since 3 of --epochs 4 are done (or use +N for N more epochs)"), behind.err());
        Result tooMany = run("train", "--quiet", "--resume", ck.toString(), "--checkpoint", ck.toString(), "--stop-after", "+2");
        assertEquals(2, tooMany.code());
        assertTrue(tooMany.err().contains("--stop-after +N must be in [+1, +1]"), tooMany.err());
        Result help = run("train", "--help");
        assertTrue(help.out().contains("--stop-after=EPOCH|+N"), help.out());
    }

    /** The epoch line without its timing fields, which differ from run to run. */
    private static String lastEpoch(Result r) {
        String line = r.out().lines().filter(l -> l.startsWith("epoch ")).reduce((a, b) -> b).orElseThrow();
        return line.replaceAll("\\s+[0-9.]+ s\\s+[0-9]+ samples/s$", "");
    }

    @Test
    void resumeWithMoreEpochsEqualsTheLongerRunAndChecksTheData() throws IOException {
        Path ck = dir.resolve("short.ckpt");
        Result longer = run(quick("--epochs", "3", "--schedule", "constant"));
        Result shorter = run(quick("--epochs", "1", "--schedule", "constant", "--checkpoint", ck.toString()));
        Result extended = run("train", "--quiet", "--resume", ck.toString(), "--epochs", "3");
        assertEquals(0, shorter.code(), shorter.err());
        assertEquals(0, extended.code(), extended.err());
        assertEquals(lastEpoch(longer), lastEpoch(extended));
        assertEquals(longer.lastLine(), extended.lastLine());
        // Same --csv path, different contents: the fingerprint refuses it.
        Path csv = Files.writeString(dir.resolve("d.csv"), "y,a,b\n0,1,2\n1,3,1\n0,1,3\n1,4,1\n0,0,2\n1,5,0\n");
        Path csvCk = dir.resolve("csv.ckpt");
        assertEquals(0, run("train", "--quiet", "--csv", csv.toString(), "--hidden", "4", "--epochs", "1",
                "--checkpoint", csvCk.toString()).code());
        Files.writeString(csv, "y,a,b\n0,1,2\n1,3,1\n0,1,3\n1,4,1\n0,0,2\n1,5,9\n");
        Result changed = run("train", "--quiet", "--resume", csvCk.toString(), "--epochs", "2");
        assertEquals(2, changed.code(), changed.out());
        assertTrue(changed.err().contains("differs from the data checkpoint"), changed.err());
    }

    @Test
    void evaluateReproducesTrainsAccuracyAndPredictWritesEveryRow() throws IOException {
        Path ck = dir.resolve("m.ckpt");
        Result trained = run(quick("--epochs", "2", "--checkpoint", ck.toString()));
        assertEquals(0, trained.code(), trained.err());
        String accuracy = trained.lastLine().substring("test accuracy: ".length());
        Result eval = run("evaluate", "--checkpoint", ck.toString());
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("accuracy " + accuracy + " "), eval.out());
        assertTrue(eval.out().contains("9 Ankle boot"), "confusion matrix with class names: " + eval.out());
        Result json = run("evaluate", "--checkpoint", ck.toString(), "--json");
        com.google.gson.JsonObject report = com.google.gson.JsonParser.parseString(json.out()).getAsJsonObject();
        assertEquals(accuracy, String.format(java.util.Locale.ROOT, "%.4f", report.get("accuracy").getAsDouble()));
        assertEquals(2000, report.get("rows").getAsInt());
        assertEquals(10, report.getAsJsonArray("confusion_matrix").size());
        Path out = dir.resolve("p.csv");
        Result predict = run("predict", "--checkpoint", ck.toString(), "--output", out.toString());
        assertEquals(0, predict.code(), predict.err());
        java.util.List<String> lines = Files.readAllLines(out);
        assertEquals(2001, lines.size());
        assertEquals("predicted,label,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9", lines.get(0));
        Result stdout = run("predict", "--checkpoint", ck.toString(), "--output", "-");
        assertEquals(lines, stdout.out().lines().toList());
    }

    @Test
    void exportWritesOnnxAndSafetensorsAndRefusesNothingToDo() throws IOException {
        Path ck = dir.resolve("m.ckpt");
        assertEquals(0, run(quick("--epochs", "1", "--checkpoint", ck.toString())).code());
        Path onnx = dir.resolve("m.onnx"), st = dir.resolve("m.safetensors");
        Result r = run("export", "--checkpoint", ck.toString(), "--onnx", onnx.toString(), "--safetensors", st.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("input features float32 [N, 784], raw features, normalised inside the graph; output"
                + " logits [N, 10]"), r.out());
        assertTrue(r.out().contains("layers.0.weight [32, 784]"), r.out());
        assertTrue(Files.size(onnx) > 4 * 784 * 32 && Files.size(st) > 4 * 784 * 32);
        Result none = run("export", "--checkpoint", ck.toString());
        assertEquals(2, none.code(), "a usage error");
        assertTrue(none.err().contains("export needs --onnx FILE, --safetensors FILE or both"), none.err());
        Result same = run("export", "--checkpoint", ck.toString(), "--onnx", onnx.toString(), "--safetensors", onnx.toString());
        assertTrue(same.err().contains("name the same file"), same.err());
    }

    /**
     * --val-split takes the per-epoch figures from part of the training rows, --patience keeps the
     * best epoch (which the checkpoint then holds), and --metrics has one JSON line per epoch run.
     */
    @Test
    void validationSplitPatienceAndMetrics() throws IOException {
        Path ck = dir.resolve("best.ckpt"), metricsFile = dir.resolve("m.jsonl");
        Result r = run(quick("--epochs", "25", "--val-split", "0.25", "--patience", "1", "--schedule", "constant",
                "--lr", "0.02", "--metrics", metricsFile.toString(), "--checkpoint", ck.toString()));
        assertEquals(0, r.code(), r.err());
        // A quarter of each class, rounded per class: 2,000 give or take one row per class.
        assertTrue(r.out().matches("(?s).*validation: (199\\d|200\\d|2010) of the training rows \\(--val-split 0.25\\).*"),
                r.out());
        long epochLines = r.out().lines().filter(l -> l.startsWith("epoch ")).count();
        assertTrue(r.out().lines().filter(l -> l.startsWith("epoch ")).allMatch(l -> l.contains(" val loss ")), r.out());
        List<String> lines = Files.readAllLines(metricsFile);
        assertEquals(epochLines, lines.size(), "one metrics line per epoch run");
        double best = Double.MAX_VALUE;
        int bestEpoch = 0;
        for (String line : lines) {
            com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
            for (String key : List.of("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
                    "samples_per_s", "skipped_steps")) {
                assertTrue(o.has(key), key + " missing from " + line);
            }
            if (o.get("val_loss").getAsDouble() < best) {
                best = o.get("val_loss").getAsDouble();
                bestEpoch = o.get("epoch").getAsInt();
            }
        }
        assertTrue(epochLines < 25, "patience 1 stopped early: " + r.out());
        assertTrue(r.out().contains("keeping epoch " + bestEpoch + " "), r.out());
        // The checkpoint holds the best epoch: evaluate on the test split reproduces the final line.
        Result eval = run("evaluate", "--checkpoint", ck.toString());
        assertTrue(eval.out().contains("accuracy " + r.lastLine().substring("test accuracy: ".length())), eval.out()
                + " vs " + r.lastLine());
        assertEquals(2, run(quick("--val-split", "1.5")).code());
        assertEquals(2, run(quick("--patience", "0")).code());
    }

    /** A semicolon CSV with word labels in a named column: the names reach the checkpoint and predict's output. */
    @Test
    void csvWithWordLabelsNamedColumnAndSemicolons() throws IOException {
        StringBuilder csv = new StringBuilder("x1;species;x2\n");
        java.util.Random r = new java.util.Random(3);
        String[] names = {"setosa", "virginica", "versicolor"};
        for (int i = 0; i < 150; i++) {
            int c = i % 3;
            csv.append(String.format(java.util.Locale.ROOT, "%.3f;%s;%.3f%n", c + r.nextGaussian() * 0.3, names[c],
                    2 * c + r.nextGaussian() * 0.3));
        }
        Path file = dir.resolve("flowers.csv"), ck = dir.resolve("f.ckpt"), out = dir.resolve("p.csv");
        Files.writeString(file, csv);
        Result train = run("train", "--csv", file.toString(), "--label-column", "species", "--epochs", "30",
                "--hidden", "8", "--batch-size", "16", "--lr", "0.05", "--quiet", "--checkpoint", ck.toString());
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("2 features, 3 classes"), train.out());
        double accuracy = Double.parseDouble(train.lastLine().substring("test accuracy: ".length()));
        assertTrue(accuracy >= 0.9, "three separated clusters: " + train.out());
        // evaluate and predict read the file as train did (options from the checkpoint), names included.
        Result eval = run("evaluate", "--checkpoint", ck.toString());
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("setosa") && eval.out().contains("versicolor"), eval.out());
        assertEquals(0, run("predict", "--checkpoint", ck.toString(), "--csv", file.toString(), "--label-column",
                "species", "--output", out.toString()).code());
        List<String> lines = Files.readAllLines(out);
        assertEquals(151, lines.size());
        assertTrue(lines.stream().skip(1).allMatch(l -> l.matches("\\d,(setosa|versicolor|virginica),.*")), lines.get(1));
        Result badHeader = run(quick("--csv", file.toString(), "--csv-header", "maybe"));
        assertEquals(2, badHeader.code());
        assertTrue(badHeader.err().contains("--csv-header must be yes, no or auto, got 'maybe'"), badHeader.err());
    }

    /** Started like `java -jar` (no --add-modules), the CLI relaunches itself with the Vector API GEMM. */
    @Test
    void theCliRelaunchesWithTheVectorApiModule() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                java.lang.module.ModuleFinder.ofSystem().find("jdk.incubator.vector").isPresent(), "this JDK lacks the module");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "train", "--epochs", "1", "--hidden", "8",
                "--quiet", "--backend", "cpu").redirectErrorStream(true);
        pb.environment().remove(VectorRelaunch.GUARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("GEMM: Vector API"), out);
        assertTrue(out.trim().endsWith(out.lines().filter(l -> l.startsWith("test accuracy: ")).findFirst().orElse("?")),
                out);
        pb.environment().put(VectorRelaunch.GUARD, "1");
        Process single = pb.start();
        String plain = new String(single.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, single.waitFor(), plain);
        assertTrue(plain.contains("GEMM: auto-vectorized") && plain.contains("--add-modules jdk.incubator.vector"), plain);
    }

    @Test
    void everyCommandExplainsItself() {
        String[][] helps = {{"train", "--help"}, {"help", "train"}, {"evaluate", "--help"}, {"predict", "--help"},
            {"export", "--help"}, {"bench", "--help"}, {"devices", "--help"}, {"check", "--help"}, {"--help"}, {"train", "-h"}};
        for (String[] args : helps) {
            Result r = run(args);
            assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals("", r.err(), String.join(" ", args) + " printed to stderr (a picocli format warning?)");
            assertTrue(r.out().contains("Usage: descent") && r.out().contains("--help"), String.join(" ", args)
                    + ": " + r.out());
        }
        assertTrue(run("train", "--help").out().contains("--momentum"));
        assertTrue(run("--help").out().contains("check"), "the command list names check");
        Result version = run("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().matches("(?s)descent \\d+\\.\\d+\\.\\d+.*"), version.out());
        Result typo = run("train", "--lrr", "3");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("did you mean --lr?"), typo.err());
    }

    @Test
    void flagsTheOptimizerDoesNotHaveAreErrors() {
        String[][] cases = {{"--optimizer", "adam", "--momentum", "0.9"}, {"--optimizer", "sgd", "--amsgrad"},
            {"--optimizer", "sgd", "--beta2", "0.99"}, {"--optimizer", "adam", "--centered"},
            {"--optimizer", "rmsprop", "--nesterov"}, {"--optimizer", "adagrad", "--dampening", "0.1"}};
        for (String[] c : cases) {
            Result r = run(quick(c));
            assertEquals(2, r.code(), String.join(" ", c));
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(c[2] + " does not apply to --optimizer " + c[1]), r.err());
        }
    }

    @Test
    void divergingRunHaltsWithExitThreeAndNamesTheBatch() {
        Result r = run(quick("--epochs", "1", "--optimizer", "sgd", "--lr", "1e30", "--max-bad-steps", "2"));
        assertEquals(3, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("training halted: 2 consecutive bad steps"), r.err());
        assertTrue(r.err().matches("(?s).*epoch 1 batch \\d+ of 63.*"), r.err());
    }

    /**
     * A run in which no step succeeded is a halt (exit 3, the guard's message, no accuracy line),
     * however large --max-bad-steps is; one good step among bad ones is a run that trained.
     */
    @Test
    void aRunWithNoGoodStepHaltsWhateverTheGuardsPatience() {
        // Weight decay of 1e38 overflows every update, so each of the 63 steps is held back.
        Result r = run(quick("--hidden", "16", "--epochs", "1", "--optimizer", "sgd", "--lr", "10", "--weight-decay",
                "1e38", "--schedule", "constant", "--max-bad-steps", "1000"));
        assertEquals(3, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("training halted: none of this run's 63 steps succeeded"), r.err());
        assertTrue(!r.out().contains("test accuracy"), r.out());
        Result healthy = run(quick("--hidden", "16", "--epochs", "1", "--max-bad-steps", "1000"));
        assertEquals(0, healthy.code(), healthy.err());
        assertTrue(healthy.lastLine().startsWith("test accuracy: "), healthy.out());
    }

    /** The reproductions: no NaN or Infinity ever printed, and no non-finite checkpoint. */
    @Test
    void divergingRunsNeverPrintNonFiniteNumbers() {
        Result skipped = run(quick("--hidden", "16", "--epochs", "2", "--optimizer", "sgd", "--lr", "1e30",
                "--max-bad-steps", "1000"));
        assertEquals(0, skipped.code(), "its first step succeeded: " + skipped.err());
        assertTrue(skipped.out().contains("every step skipped"), skipped.out());
        assertTrue(!skipped.out().contains("NaN") && !skipped.out().contains("Infinity"), skipped.out());
        Path ck = dir.resolve("wd.ckpt");
        Result decayed = run("train", "--quiet", "--hidden", "16", "--epochs", "2", "--optimizer", "sgd", "--lr", "10",
                "--weight-decay", "1e38", "--batch-size", "full", "--schedule", "constant", "--checkpoint", ck.toString());
        assertEquals(3, decayed.code(), "both steps were held back, so nothing trained: " + decayed.err());
        assertTrue(decayed.err().contains("none of this run's 2 steps succeeded"), decayed.err());
        assertTrue(!decayed.out().contains("NaN") && !decayed.out().contains("Infinity"), decayed.out());
        for (float v : Checkpoint.load(ck).parameters()) {
            assertTrue(Float.isFinite(v), "checkpoint holds " + v);
        }
        Result halted = run(quick("--hidden", "16", "--epochs", "1", "--optimizer", "sgd", "--lr", "10",
                "--weight-decay", "1e38", "--schedule", "constant"));
        assertEquals(3, halted.code(), halted.err());
        assertTrue(halted.err().contains("1 had an update that would have made parameters"), halted.err());
        assertTrue(!halted.err().contains("last finite ones"), halted.err());
    }
}
