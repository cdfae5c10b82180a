package dev.descent.bench;

import dev.descent.BackendInfo;
import dev.descent.Backends;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;

/** Turns JMH results into benchmarks/results/RESULTS.md and PNG charts. */
final class Report {
    private Report() {}

    private static String param(RunResult r, String name) {
        String v = r.getParams().getParam(name);
        return v == null ? "" : v;
    }

    private static String bench(RunResult r) {
        String b = r.getParams().getBenchmark();
        return b.substring(b.lastIndexOf('.', b.lastIndexOf('.') - 1) + 1, b.lastIndexOf('.'));
    }

    private static double score(RunResult r) {
        return r.getPrimaryResult().getScore();
    }

    static void write(Collection<RunResult> results, Path out, String suite) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("# descent benchmark results (").append(suite).append(" suite)\n\n");
        md.append(machine()).append('\n');
        md.append("Produced by `bash benchmarks/run.sh ").append(suite).append("`; raw JMH output in `jmh.json`.\n\n");

        // copy bandwidth per backend and size: the yardstick
        Map<String, Double> copy = new HashMap<>();
        for (RunResult r : results) {
            if (bench(r).equals("UpdateBench") && param(r, "rule").equals("copy")) {
                copy.put(param(r, "backend") + "/" + param(r, "log2n"), score(r) * 8.0 * (1L << Integer.parseInt(param(r, "log2n"))) / 1e9);
            }
        }
        md.append("## Optimizer updates\n\nGB/s counts the bytes each rule must move (Adam 28 B/param: reads p, g, m, v;"
                + " writes p, m, v). `copy` counts 8 B per float (one read, one write).\n\n");
        md.append("| backend | rule | n | params/s | GB/s | B/param | of same-backend copy | of CPU copy |\n|---|---|---|---|---|---|---|---|\n");
        Chart updates = new Chart("Update throughput (GB/s) vs parameters", "parameters", "GB/s");
        for (RunResult r : results) {
            if (!bench(r).equals("UpdateBench")) {
                continue;
            }
            String backend = param(r, "backend"), rule = param(r, "rule");
            int log = Integer.parseInt(param(r, "log2n"));
            double n = 1L << log;
            int bytes = UpdateBench.bytesPerParameter(rule);
            double gbs = score(r) * n * bytes / 1e9;
            Double same = copy.get(backend + "/" + log), cpu = copy.get("cpu/" + log);
            md.append(String.format(Locale.ROOT, "| %s | %s | 2^%d | %.3g | %.2f | %d | %s | %s |\n", backend, rule, log,
                    score(r) * n, gbs, bytes, same == null ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * gbs / same),
                    cpu == null ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * gbs / cpu)));
            if (rule.equals("adam") || rule.equals("copy")) {
                updates.add(backend + " " + rule, n, gbs);
            }
        }
        updates.write(out.resolve("updates.png"));

        md.append("\n## GEMM (GFLOP/s)\n\nOpenBLAS (").append(OpenBlasGemmBench.implementation())
                .append(") is the CPU peer, called through netlib's JNI binding.\n\n");
        // Squares by size first, then the named MLP shapes.
        Map<String, Map<String, Double>> gemm = new java.util.TreeMap<>(java.util.Comparator
                .comparing((String sh) -> sh.contains("-"))
                .thenComparingInt(sh -> sh.contains("-") ? 0 : Integer.parseInt(sh))
                .thenComparing(sh -> sh));
        List<String> columns = new ArrayList<>();
        Chart gemmChart = new Chart("SGEMM GFLOP/s vs size (square)", "n (n x n x n)", "GFLOP/s");
        for (RunResult r : results) {
            boolean blas = bench(r).equals("OpenBlasGemmBench");
            if (!blas && !bench(r).equals("GemmBench")) {
                continue;
            }
            String who = blas ? "openblas" : param(r, "backend");
            if (!columns.contains(who)) {
                columns.add(who);
            }
            Shapes.Gemm g = Shapes.parse(param(r, "shape"));
            double gflops = score(r) * g.flops() / 1e9;
            gemm.computeIfAbsent(param(r, "shape"), k -> new HashMap<>()).put(who, gflops);
            if (!param(r, "shape").contains("-")) {
                gemmChart.add(who, g.m(), gflops);
            }
        }
        md.append("| shape |");
        columns.forEach(c -> md.append(' ').append(c).append(" |"));
        md.append(" cpu / openblas |\n|---|");
        columns.forEach(c -> md.append("---|"));
        md.append("---|\n");
        for (Map.Entry<String, Map<String, Double>> e : gemm.entrySet()) {
            md.append("| ").append(e.getKey()).append(" |");
            for (String c : columns) {
                Double v = e.getValue().get(c);
                md.append(v == null ? " |" : String.format(Locale.ROOT, " %.1f |", v));
            }
            Double cpu = e.getValue().get("cpu"), blas = e.getValue().get("openblas");
            md.append(cpu == null || blas == null ? " |\n" : String.format(Locale.ROOT, " %.0f%% |\n", 100 * cpu / blas));
        }
        gemmChart.write(out.resolve("gemm.png"));

        md.append("\n## Training step (forward + backward + update), samples/s\n\n| backend | model | batch | samples/s |\n|---|---|---|---|\n");
        for (RunResult r : results) {
            if (bench(r).equals("TrainStepBench")) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f |\n", param(r, "backend"), param(r, "model"),
                        param(r, "batch"), score(r) * Integer.parseInt(param(r, "batch"))));
            }
        }
        md.append("\n## One epoch of the embedded Fashion-MNIST split (8,000 images, 784-256-128-10, Adam, batch 64)\n\n"
                + "| backend | ms per epoch | samples/s |\n|---|---|---|\n");
        for (RunResult r : results) {
            if (bench(r).equals("EpochBench")) {
                md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f |\n", param(r, "backend"), score(r),
                        8000 / (score(r) / 1000)));
            }
        }
        md.append("\n![updates](updates.png)\n\n![gemm](gemm.png)\n");
        Files.writeString(out.resolve("RESULTS.md"), md.toString());
        System.out.println(md);
    }

    private static String machine() throws IOException {
        StringBuilder m = new StringBuilder("Machine:\n");
        String cpu = "unknown";
        Path info = Path.of("/proc/cpuinfo");
        if (Files.exists(info)) {
            cpu = Files.readAllLines(info).stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        }
        m.append("- CPU: ").append(cpu).append(", ").append(Runtime.getRuntime().availableProcessors()).append(" threads\n");
        m.append("- JDK: ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version")).append('\n');
        m.append("- OS: ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append('\n');
        for (BackendInfo b : Backends.probe()) {
            m.append("- backend ").append(b.name()).append(": ").append(b.available() ? "" : "unavailable, ").append(b.detail()).append('\n');
        }
        return m.toString();
    }
}
