package dev.descent;

import dev.descent.cpu.CpuBackend;
import dev.descent.cpu.ReferenceBackend;
import dev.descent.cuda.CudaBackend;
import dev.descent.opencl.OpenClBackend;
import dev.descent.opencl.OpenClDevices;
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

    /**
     * Availability of every backend, in preference order, plus the reference oracle.
     *
     * @return one entry per backend, with the reason when it is unavailable
     */
    public static List<BackendInfo> probe() {
        List<BackendInfo> infos = new ArrayList<>();
        for (String name : NAMES) {
            infos.add(probe(name));
        }
        infos.add(new BackendInfo("reference", true, "double-precision oracle for tests (slow)"));
        return infos;
    }

    /**
     * Availability of one backend, without keeping it open.
     *
     * @param name "cuda", "opencl", "cpu" or "reference"
     * @return whether it can be opened here, and why not
     */
    public static BackendInfo probe(String name) {
        switch (name) {
            case "cpu":
                return new BackendInfo("cpu", true, "Java float32, "
                        + Runtime.getRuntime().availableProcessors() + " threads");
            case "cuda":
                try (Backend cuda = openCuda(BackendOptions.defaults())) {
                    return new BackendInfo("cuda", true, cuda.describe());
                } catch (IllegalStateException e) {
                    return new BackendInfo("cuda", false, e.getMessage());
                }
            case "opencl":
                if (!Bindings.openClPresent()) {
                    return new BackendInfo("opencl", false, Bindings.OPENCL);
                }
                try (Backend opencl = OpenClBackend.open()) {
                    return new BackendInfo("opencl", true, opencl.describe());
                } catch (IllegalStateException e) {
                    return new BackendInfo("opencl", false, e.getMessage());
                }
            default:
                throw new IllegalArgumentException("backend must be one of auto, " + String.join(", ", NAMES)
                        + ", reference; got '" + name + "'");
        }
    }

    /**
     * Opens the named backend ("auto" means {@link #best()}). A backend that is unavailable is
     * an {@link IllegalStateException} carrying its reason, never a silent fallback.
     *
     * @param name "auto", "cuda", "opencl", "cpu" or "reference"
     * @return the backend; close it when done
     */
    public static Backend open(String name) {
        return open(name, BackendOptions.defaults());
    }

    /**
     * As {@link #open(String)}, with typed settings (device choice, CUDA GEMM) instead of system properties.
     *
     * @param name "auto", "cuda", "opencl", "cpu" or "reference"
     * @param options device choice and GEMM settings
     * @return the backend
     */
    public static Backend open(String name, BackendOptions options) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.equals("auto")) {
            return best(options);
        }
        if (key.equals("reference")) {
            return new ReferenceBackend();
        }
        if (!NAMES.contains(key)) {
            probe(key);  // throws the "must be one of" message
        }
        try {
            return create(key, options);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("backend " + key + " is unavailable: " + e.getMessage(), e);
        }
    }

    /**
     * The first available backend in preference order: CUDA, then OpenCL on a GPU, then the CPU.
     * An OpenCL CPU device (PoCL, say) is not preferred: the native CPU backend is faster there
     * (see {@link OpenClDevices#worthTryingForAuto()}). It stays available by name.
     *
     * @return the backend
     */
    public static Backend best() {
        return best(BackendOptions.defaults());
    }

    /**
     * As {@link #best()}, with typed settings.
     *
     * @param options device choice and GEMM settings
     * @return the backend
     */
    public static Backend best(BackendOptions options) {
        for (String name : NAMES) {
            try {
                if (name.equals("opencl") && (!Bindings.openClPresent() || !OpenClDevices.worthTryingForAuto())) {
                    continue;
                }
                return create(name, options);
            } catch (IllegalStateException unavailable) {
                // try the next one; `devices` reports why
            }
        }
        throw new AssertionError("the CPU backend is always available");
    }

    /** Opens a backend or throws IllegalStateException with the one-line reason it cannot run. */
    private static Backend create(String name, BackendOptions options) {
        switch (name) {
            case "cpu":
                return new CpuBackend();
            case "cuda":
                return openCuda(options);
            default:
                Bindings.requireOpenCl();
                return OpenClBackend.open(options.openclDevice());
        }
    }

    /**
     * The GPU through JCuda, or, when {@code -Ddescent.cuda.emulator=PATH} names the emulation
     * library built by {@code make -C native emu}, the same backend code running the kernels on
     * the CPU (for tests and CI only).
     */
    private static Backend openCuda(BackendOptions options) {
        Bindings.requireCuda();
        return CudaBackend.open(options);
    }
}
