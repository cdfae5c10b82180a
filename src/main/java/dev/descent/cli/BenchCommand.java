package dev.descent.cli;

import dev.descent.Backend;
import dev.descent.Backends;
import dev.descent.cpu.CpuBackend;
import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;
import dev.descent.internal.workload.Workload;
import dev.descent.internal.workload.Workloads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code descent bench}: quick throughput numbers for one backend, without JMH. Copy bandwidth
 * (the yardstick), every update rule as parameters/s, GB/s and fraction of copy bandwidth at the
 * same size, and square SGEMM GFLOP/s. Inputs rotate through enough buffers (>= 256 MB) that
 * caches cannot flatter the small sizes; device work is synchronized before the clock stops.
 * The JMH suite in benchmarks/ is the rigorous version of the same measurements.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Measure copy bandwidth, optimizer updates, GEMM and whole training steps on one backend.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--backend", defaultValue = "auto", split = ",",
            description = "one or more of auto, cpu, cuda, opencl, measured in this order (default: ${DEFAULT-VALUE})")
    List<String> backends;

    @Option(names = "--suite", defaultValue = "copy,updates,gemm", split = ",",
            description = "copy, updates, gemm, step, epoch (default: ${DEFAULT-VALUE})")
    List<String> suites;

    @Option(names = "--sizes", defaultValue = "16,20,24", split = ",",
            description = "log2 of the parameter counts for copy and updates (default: ${DEFAULT-VALUE})")
    List<Integer> sizes;

    @Option(names = "--gemm", defaultValue = "256,512,1024,2048", split = ",",
            description = "GEMMs: N for N^3, or MxKxN[:ta|:tb] (A or B transposed), e.g. 64x784x256"
                    + " (default: ${DEFAULT-VALUE})")
    List<String> gemmShapes;

    @Option(names = "--models", defaultValue = "784-256-128-10,784-4096-4096-10", split = ",",
            description = "MLP widths for the step suite, input first (default: ${DEFAULT-VALUE})")
    List<String> models;

    @Option(names = "--batches", defaultValue = "64,1024", split = ",",
            description = "batch sizes for the step suite (default: ${DEFAULT-VALUE})")
    List<Integer> batches;

    @Option(names = "--epoch-batches", defaultValue = "64,1024", split = ",",
            description = "batch sizes for the epoch suite: one shuffled pass over 60,000 random samples"
                    + " (MNIST's training set size) through Trainer, for each of --models (default: ${DEFAULT-VALUE})")
    List<Integer> epochBatches;

    @Option(names = "--seconds", defaultValue = "0.5", description = "target time per measurement (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--json", description = "also write the results as JSON lines here")
    Path json;

    private final List<String> jsonLines = new ArrayList<>();

    /** One configuration per rule, as the update suite measures it. */
    static final List<OptimizerSpec> RULES = List.of(new Sgd(0.01, 0.9, 0, false, 0), Adam.adam(1e-3),
            Adam.adamW(1e-3), Adam.adam(1e-3).withAmsgrad(true), Adagrad.of(0.01), RmsProp.of(0.01),
            Adadelta.of(1.0), NAdam.of(2e-3), RAdam.of(1e-3));

    @Override
    public Integer call() {
        validateSuites(suites);
        for (int log : sizes) {
            if (log < 4 || log > 28) {
                throw new IllegalArgumentException("--sizes are powers of two given as exponents in [4, 28], got " + log);
            }
            dev.descent.internal.Memory.requireHeap(5L * (4L << log), "--sizes " + log + " (five buffers of 2^" + log + " floats)");
        }
        for (String text : gemmShapes) {
            GemmShape g = GemmShape.parse(text);
            dev.descent.internal.Memory.requireHeap(g.bytes(), "--gemm " + text + " (its three matrices)");
        }
        for (int b : batches) {
            if (b < 1 || b > 65536) {
                throw new IllegalArgumentException("--batches must be in [1, 65536], got " + b);
            }
        }
        for (int b : epochBatches) {
            if (b < 1 || b > EPOCH_ROWS) {
                throw new IllegalArgumentException("--epoch-batches must be in [1, " + EPOCH_ROWS + "], got " + b);
            }
        }
        for (String m : models) {
            widths(m);
        }
        for (String name : backends) {
            try (Backend be = Backends.open(name)) {
                run(be);
            }
        }
        if (json != null) {
            try {
                Files.write(json, jsonLines);
            } catch (IOException e) {
                throw new UncheckedIOException("could not write " + json + ": " + e.getMessage(), e);
            }
        }
        return 0;
    }

    /** The CPU backend's copy bandwidth at each size, the machine's yardstick for every backend. */
    private final java.util.Map<Integer, Double> cpuCopy = new java.util.HashMap<>();

    private void run(Backend be) {
        System.out.println("backend: " + be.name() + " (" + be.describe() + ")");
        for (String suite : suites) {
            switch (suite) {
                case "copy":
                    for (int log : sizes) {
                        copy(be, 1 << log);
                    }
                    break;
                case "updates":
                    for (int log : sizes) {
                        double copyGbs = copy(be, 1 << log);
                        for (OptimizerSpec spec : RULES) {
                            update(be, spec, 1 << log, copyGbs);
                        }
                    }
                    break;
                case "step":
                    for (String m : models) {
                        for (int b : batches) {
                            step(be, m, b);
                        }
                    }
                    break;
                case "epoch":
                    for (String m : models) {
                        for (int b : epochBatches) {
                            epoch(be, m, b);
                        }
                    }
                    break;
                default:
                    for (String g : gemmShapes) {
                        gemm(be, GemmShape.parse(g));
                    }
            }
        }
        // With CUDA Graphs on, whether the timed steps were replayed or ran directly after all.
        String graphs = be.repeatedSteps();
        if (graphs != null) {
            record(graphs, json("graphs", be, "summary", graphs));
        }
    }

    /** The longest the warm-up waits for the CPU backend's vector warm-up threads. */
    private static final long WARMUP_WAIT_LIMIT_NANOS = 20_000_000_000L;

    /**
     * Seconds per call of {@code body}: repeat until {@link #seconds} has passed, best of 3 rounds,
     * after a warm-up of three times that (at most 1.5 s) in which the JIT compiles what the body
     * runs: the CPU backend's Vector API update loops take about a second to compile, on a thread
     * of their own, and run the scalar loops until then; the warm-up lasts until that thread is
     * done (at most 20 s), since while it runs it takes one of the cores (a measurement that
     * overlapped it ran up to ten times slower).
     */
    private double time(Backend be, Runnable body) {
        long start = System.nanoTime();
        long warm = start + (long) (Math.min(1.5, 3 * seconds) * 1e9);
        long latest = start + WARMUP_WAIT_LIMIT_NANOS;
        do {
            body.run();
            be.synchronize();
        } while (System.nanoTime() < warm
                || (be instanceof CpuBackend && CpuBackend.vectorWarmupRunning() && System.nanoTime() < latest));
        long reps = 1;
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            while (true) {
                long t0 = System.nanoTime();
                for (long r = 0; r < reps; r++) {
                    body.run();
                }
                be.synchronize();
                double elapsed = (System.nanoTime() - t0) / 1e9;
                if (elapsed >= seconds / 3 || reps > 1 << 24) {
                    best = Math.min(best, elapsed / reps);
                    break;
                }
                reps *= 2;
            }
        }
        return best;
    }

    private double copy(Backend be, int n) {
        double gbs;
        try (Workload w = Workloads.copy(be, n)) {
            gbs = w.bytesPerRun() / time(be, w::run) / 1e9;
        }
        if (be.name().equals("cpu")) {
            cpuCopy.put(n, gbs);
        }
        record(String.format(Locale.ROOT, "copy      n=2^%-2d %10.2f GB/s", log2(n), gbs),
                json("copy", be, "n", n, "gbs", gbs));
        return gbs;
    }

    private void update(Backend be, OptimizerSpec spec, int n, double copyGbs) {
        double s;
        double gbs;
        try (Workload w = Workloads.update(be, spec, n)) {
            s = time(be, w::run);
            gbs = w.bytesPerRun() / s / 1e9;
        }
        int bytes = Workloads.bytesPerParameter(spec);
        String name = spec.name() + (spec instanceof Adam a && a.amsgrad() ? "-amsgrad" : "");
        Double machine = cpuCopy.get(n);
        String vsCpu = machine == null || be.name().equals("cpu") ? ""
                : String.format(Locale.ROOT, " %5.1f%% of CPU copy", 100 * gbs / machine);
        record(String.format(Locale.ROOT, "update    n=2^%-2d %-15s %8.3g params/s %8.2f GB/s (%d B/param) %5.1f%% of copy%s",
                        log2(n), name, n / s, gbs, bytes, 100 * gbs / copyGbs, vsCpu),
                json("update", be, "rule", name, "n", n, "params_per_s", n / s, "gbs", gbs, "bytes_per_param", bytes,
                        "copy_fraction", gbs / copyGbs));
    }

    private void gemm(Backend be, GemmShape g) {
        double gflops;
        try (Workload w = Workloads.gemm(be, g.m(), g.n(), g.k(), g.transA(), g.transB())) {
            gflops = w.flopsPerRun() / time(be, w::run) / 1e9;
        }
        // Squares keep their "n" key, as earlier results and the comparison scripts read it.
        String json = g.isSquare() ? json("gemm", be, "n", g.n(), "gflops", gflops)
                : json("gemm", be, "shape", g.label(), "m", g.m(), "k", g.k(), "n", g.n(), "gflops", gflops);
        record(String.format(Locale.ROOT, "gemm      %-20s %10.1f GFLOP/s", g.label(), gflops), json);
    }

    /** One training step (gather, forward, backward, norm, guard, Adam) of the MLP {@code model}. */
    private void step(Backend be, String model, int batch) {
        double s;
        double flops;
        try (Workload w = Workloads.trainStep(be, widths(model), batch)) {
            s = time(be, w::run);
            flops = w.flopsPerRun();
        }
        record(String.format(Locale.ROOT, "step      %-18s batch %5d %9.3f ms %10.0f samples/s %8.1f GFLOP/s",
                        model, batch, s * 1e3, batch / s, flops / s / 1e9),
                json("step", be, "model", model, "batch", batch, "ms", s * 1e3, "samples_per_s", batch / s,
                        "gflops", flops / s / 1e9));
    }

    private void epoch(Backend be, String model, int batch) {
        double s;
        try (Workload w = Workloads.epoch(be, widths(model), batch, EPOCH_ROWS)) {
            s = time(be, w::run);
        }
        record(String.format(Locale.ROOT, "epoch     %-18s batch %5d %9.3f s  %10.0f samples/s", model, batch, s,
                        EPOCH_ROWS / s),
                json("epoch", be, "model", model, "batch", batch, "s", s, "samples_per_s", EPOCH_ROWS / s,
                        "rows", EPOCH_ROWS));
    }

    /** Samples in the epoch suite's training set: MNIST's and Fashion-MNIST's training set size. */
    static final int EPOCH_ROWS = 60_000;

    /** "784-256-10" as widths; an exception naming --models for anything else. */
    static int[] widths(String model) {
        String[] parts = model.split("-");
        int[] w = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                w[i] = Integer.parseInt(parts[i]);
                if (w[i] < 1 || w[i] > 1 << 16) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            w = new int[0];
        }
        if (w.length < 2) {
            throw new IllegalArgumentException("--models takes widths such as 784-256-10 (at least two, each in [1, 65536]); got '"
                    + model + "'");
        }
        return w;
    }

    /** One JSON line: the suite, the backend, then name/value pairs in order. */
    private static String json(String suite, Backend be, Object... pairs) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("suite", suite);
        m.put("backend", be.name());
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return GSON.toJson(m);
    }

    private static final com.google.gson.Gson GSON = new com.google.gson.Gson();

    private void record(String line, String jsonLine) {
        System.out.println(line);
        jsonLines.add(jsonLine);
    }

    private static int log2(int n) {
        return 31 - Integer.numberOfLeadingZeros(n);
    }

    private static final List<String> SUITES = List.of("copy", "updates", "gemm", "step", "epoch");

    private static void validateSuites(List<String> suites) {
        for (String s : suites) {
            if (!SUITES.contains(s)) {
                throw new IllegalArgumentException("--suite must list " + String.join(", ", SUITES) + "; got '" + s + "'");
            }
        }
    }
}
