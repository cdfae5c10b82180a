package dev.descent;

import dev.descent.cpu.CpuBackend;
import dev.descent.cpu.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds and opens backends. {@link #best()} prefers CUDA, then OpenCL, then the CPU. Probing
 * never throws: a backend that cannot run reports a one-line reason instead (a missing native
 * library never escapes as an UnsatisfiedLinkError).
 */
public final class Backends {
    private Backends() {}

    /** In preference order. */
    public static final List<String> NAMES = List.of("cuda", "opencl", "cpu");

    /** Availability of every backend, in preference order, plus the reference oracle. */
    public static List<BackendInfo> probe() {
        List<BackendInfo> infos = new ArrayList<>();
        for (String name : NAMES) {
            infos.add(probe(name));
        }
        infos.add(new BackendInfo("reference", true, "double-precision oracle for tests (slow)"));
        return infos;
    }

    public static BackendInfo probe(String name) {
        switch (name) {
            case "cpu":
                return new BackendInfo("cpu", true, "Java float32, "
                        + Runtime.getRuntime().availableProcessors() + " threads");
            case "cuda":
                return new BackendInfo("cuda", false, "CUDA: this build has no CUDA backend yet");
            case "opencl":
                return new BackendInfo("opencl", false, "OpenCL: this build has no OpenCL backend yet");
            default:
                throw new IllegalArgumentException("backend must be one of auto, " + String.join(", ", NAMES)
                        + ", reference; got '" + name + "'");
        }
    }

    /**
     * Opens the named backend ("auto" means {@link #best()}). A backend that is unavailable is
     * an {@link IllegalStateException} carrying its reason, never a silent fallback.
     */
    public static Backend open(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.equals("auto")) {
            return best();
        }
        if (key.equals("reference")) {
            return new ReferenceBackend();
        }
        BackendInfo info = probe(key);
        if (!info.available()) {
            throw new IllegalStateException("backend " + key + " is unavailable: " + info.detail());
        }
        return create(key);
    }

    /** The first available backend in preference order. */
    public static Backend best() {
        for (String name : NAMES) {
            if (probe(name).available()) {
                return create(name);
            }
        }
        throw new AssertionError("the CPU backend is always available");
    }

    private static Backend create(String name) {
        if (name.equals("cpu")) {
            return new CpuBackend();
        }
        throw new IllegalStateException("backend " + name + " is unavailable");
    }
}
