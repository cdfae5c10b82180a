package dev.descent.opencl;

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
        if (!dev.descent.internal.NativeLibraries.isLinuxX64()) {
            return false;
        }
        try {
            dev.descent.internal.NativeLibraries.load(QuietStderr.class, RESOURCE);
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
