package dev.descent.cli;

import com.google.gson.GsonBuilder;
import dev.descent.Backend;
import dev.descent.BackendOptions;
import dev.descent.Backends;
import dev.descent.verify.BackendCheck;
import dev.descent.verify.ParityLog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs the parity harness on a backend here, against the double-precision reference: the proof,
 * on the user's own GPU or OpenCL device, that it computes what the CPU computes. Exit 0 when
 * every comparison is within its tolerance, 1 when one is not or the backend fails.
 */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Check a backend on this machine against the double-precision reference: every op, "
                + "every optimizer, a short training run. --backend all checks each backend that opens here.")
final class CheckCommand implements Callable<Integer> {
    /** Mismatches listed in full; the rest are counted. */
    private static final int LISTED = 20;

    @Mixin
    BackendChoice backendChoice;

    @Option(names = "--seed", description = "the random inputs' seed (default: a fresh one, printed)")
    Long seed;

    @Option(names = "--json", description = "print the result as one JSON object instead of the table")
    boolean json;

    @Override
    public Integer call() {
        BackendOptions options = backendChoice.options();
        long s = seed != null ? seed : System.nanoTime();
        if (!backendChoice.backend.trim().equalsIgnoreCase("all")) {
            Backend only = Backends.open(backendChoice.backend, options);
            return checkOrFail(only.name(), () -> check(only, () -> Backends.open(only.name(), options), s));
        }
        // Every backend that opens here, in preference order, with the same seed; the worst exit wins.
        int exit = 0;
        for (String name : Backends.NAMES) {
            Backend first;
            try {
                first = Backends.open(name, options);
            } catch (IllegalStateException unavailable) {
                System.out.println(json ? new GsonBuilder().disableHtmlEscaping().create()
                        .toJson(Map.of("backend", name, "not_run", unavailable.getMessage()))
                        : "check: " + name + " not run: " + unavailable.getMessage() + "\n");
                continue;
            }
            // A backend that fails outright (a kernel its driver rejects) does not stop the others.
            exit = Math.max(exit, checkOrFail(name, () -> check(first, () -> Backends.open(name, options), s)));
            if (!json) {
                System.out.println();
            }
        }
        return exit;
    }

    /**
     * Runs one backend's check; a backend that throws (a kernel its driver rejects, a device
     * lost) is a failed check, exit 1 with the reason, whatever the exception's type: it is never
     * a usage error (exit 2), since the arguments were fine.
     */
    static int checkOrFail(String name, java.util.function.IntSupplier check) {
        try {
            return check.getAsInt();
        } catch (RuntimeException | AssertionError failed) {
            System.out.println("FAILED: " + name + " threw " + failed);
            return 1;
        }
    }

    /**
     * Checks {@code first}, and through {@code another} (more instances of the same backend, for
     * the training run) what it is an instance of; returns the exit code.
     */
    int check(Backend first, Supplier<Backend> another, long s) {
        String name = first.name();
        String description = first.describe();
        if (!json) {
            System.out.println("check: " + name + " (" + description + ") against the double-precision reference, seed " + s);
        }
        Backend[] unused = {first};
        // The first instance runs the op and optimizer checks; the training run opens its own.
        Supplier<Backend> open = () -> {
            Backend b = unused[0] != null ? unused[0] : another.get();
            unused[0] = null;
            return b;
        };
        long start = System.nanoTime();
        ParityLog log = BackendCheck.run(open, s);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (json) {
            System.out.println(toJson(log, name, description, s, seconds));
            return passedInFull(log) ? 0 : 1;
        }
        return report(log, name, s, seconds);
    }

    /** Every comparison passed, and none is missing. */
    private static boolean passedInFull(ParityLog log) {
        return log.passed() && log.comparisons() == BackendCheck.expectedComparisons();
    }

    /** The whole result as one JSON object: verdict, counts, every family and mismatch, the notes. */
    static String toJson(ParityLog log, String name, String description, long seed, double seconds) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backend", name);
        out.put("description", description);
        out.put("seed", seed);
        out.put("seconds", seconds);
        out.put("passed", passedInFull(log));
        out.put("comparisons", log.comparisons());
        out.put("expected_comparisons", BackendCheck.expectedComparisons());
        List<Map<String, Object>> families = new ArrayList<>();
        for (ParityLog.Family f : log.families()) {
            Map<String, Object> family = new LinkedHashMap<>();
            family.put("name", f.name());
            family.put("comparisons", f.comparisons());
            family.put("worst_error", f.worstError());
            family.put("worst_tolerance", f.worstTolerance());
            family.put("worst", f.worst());
            family.put("mismatches", f.mismatches());
            families.add(family);
        }
        out.put("families", families);
        out.put("mismatches", log.mismatches());
        out.put("notes", log.notes());
        return new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create().toJson(out);
    }

    /** Prints the families, notes and verdict; returns the exit code (0 only when all passed and none is missing). */
    static int report(ParityLog log, String name, long seed, double seconds) {
        print(log);
        log.notes().forEach(System.out::println);
        int expected = BackendCheck.expectedComparisons();
        if (!log.passed()) {
            List<String> m = log.mismatches();
            System.out.println();
            m.stream().limit(LISTED).forEach(line -> System.out.println("MISMATCH " + line));
            if (m.size() > LISTED) {
                System.out.println("... and " + (m.size() - LISTED) + " more");
            }
            System.out.printf(Locale.ROOT, "FAILED: %d mismatches in %d comparisons on %s (%.1f s); reproduce with --seed %d%n",
                    m.size(), log.comparisons(), name, seconds, seed);
            return 1;
        }
        if (log.comparisons() != expected) {
            System.out.println("FAILED: " + log.comparisons() + " comparisons ran, " + expected + " expected");
            return 1;
        }
        System.out.printf(Locale.ROOT, "passed: %d comparisons in %d families, every one within its tolerance (%.1f s, seed %d)%n",
                log.comparisons(), log.families().size(), seconds, seed);
        return 0;
    }

    private static void print(ParityLog log) {
        System.out.printf(Locale.ROOT, "  %-28s %11s  %-9s %-9s %s%n", "family", "comparisons", "worst", "tolerance", "of tolerance");
        for (ParityLog.Family f : log.families()) {
            System.out.printf(Locale.ROOT, "  %-28s %11d  %-9s %-9s %s%n", f.name(), f.comparisons(), figure(f.worstError()),
                    figure(f.worstTolerance()), f.mismatches() > 0 ? "MISMATCH (" + f.mismatches() + ")" : percent(f.worstRatio()));
        }
    }

    private static String figure(double x) {
        return x == 0 ? "0" : String.format(Locale.ROOT, "%.1e", x);
    }

    private static String percent(double ratio) {
        return ratio == 0 ? "exact" : ratio < 1e-3 ? "<0.1%" : String.format(Locale.ROOT, "%.1f%%", 100 * ratio);
    }
}
