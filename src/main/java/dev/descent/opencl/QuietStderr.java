package dev.descent.opencl;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Supplier;

/**
 * Runs a call with the process's stderr (fd 2) pointed at /dev/null, for native code that
 * prints to it directly. Uses a tiny JNI library embedded in the jar for x86-64 Linux; anywhere
 * else (or if it cannot load) the call simply runs with stderr as it is.
 */
final class QuietStderr {
    private static final String RESOURCE = "/dev/descent/native/linux-x86_64/libdescent_quiet.so";
    private static final boolean LOADED = load();

    private QuietStderr() {}

    private static boolean load() {
        if (!"Linux".equals(System.getProperty("os.name")) || !"amd64".equals(System.getProperty("os.arch"))) {
            return false;
        }
        try (InputStream in = QuietStderr.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return false;
            }
            Path lib = Files.createTempFile("descent-quiet", ".so");
            lib.toFile().deleteOnExit();
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            System.load(lib.toAbsolutePath().toString());
            return true;
        } catch (Throwable e) {
            return false;
        }
    }

    static <T> T call(Supplier<T> body) {
        int saved = LOADED ? silence() : -1;
        try {
            return body.get();
        } finally {
            if (LOADED) {
                restore(saved);
            }
        }
    }

    private static native int silence();

    private static native void restore(int saved);
}
