package dev.descent.cuda;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which cuBLAS will serve JCublas, arranged before JCublas's first use. JCublas 12.6 links
 * libcublas.so.12. On a host with only CUDA 13's libcublas.so.13, descent loads its own
 * libcublas.so.12 (native/cublas12: every import forwarded to cuBLAS 13) first. The dynamic
 * linker then satisfies JCublas's dependency with that already-loaded library, matched by its
 * soname. A real libcublas.so.12 always wins: the forwarding library is loaded only when the
 * loader's search path has none.
 */
final class CublasLibrary {
    static final String FORWARDER = "/dev/descent/native/linux-x86_64/libdescent_cublas12.so";
    /** The loader's default directories on x86-64 Linux (Debian's and Red Hat's layouts). */
    private static final List<String> SYSTEM_DIRS = List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
            "/lib64", "/usr/lib64", "/lib", "/usr/lib");

    private static String arranged;

    private CublasLibrary() {}

    /** Once per process: what JCublas will bind to, in words ("" for a real libcublas.so.12). */
    static synchronized String arrange() {
        if (arranged == null) {
            arranged = choose(System.getenv("LD_LIBRARY_PATH"), Path.of("/etc/ld.so.cache"));
        }
        return arranged;
    }

    static String choose(String ldLibraryPath, Path loaderCache) {
        if (findable("libcublas.so.12", ldLibraryPath, loaderCache)) {
            return "";
        }
        if (!findable("libcublas.so.13", ldLibraryPath, loaderCache)) {
            return "no libcublas.so.12 (CUDA 12) or libcublas.so.13 (CUDA 13) on the library path";
        }
        if (!dev.descent.internal.NativeLibraries.isLinuxX64()) {
            return "libcublas.so.13 found, but descent's forwarding library is built for x86-64 Linux only";
        }
        try {
            dev.descent.internal.NativeLibraries.load(CublasLibrary.class, FORWARDER);
            return "CUDA 13's cuBLAS through descent's libcublas.so.12 forwarder";
        } catch (Throwable e) {
            return "libcublas.so.13 found, but descent's forwarding library did not load: " + dev.descent.internal.Check.firstLine(
                    String.valueOf(e.getMessage()));
        }
    }

    /** Whether the dynamic loader would find {@code name}: LD_LIBRARY_PATH, its cache, the default directories. */
    static boolean findable(String name, String ldLibraryPath, Path loaderCache) {
        List<String> dirs = new ArrayList<>();
        if (ldLibraryPath != null) {
            for (String d : ldLibraryPath.split(":")) {
                if (!d.isEmpty()) {
                    dirs.add(d);
                }
            }
        }
        dirs.addAll(SYSTEM_DIRS);
        for (String d : dirs) {
            if (Files.exists(Path.of(d, name))) {
                return true;
            }
        }
        return inLoaderCache(name, loaderCache);
    }

    /**
     * ld.so.cache stores each library's name as a NUL-terminated string, but ldconfig shares
     * string tails: the name "libcublas.so.13" is usually the end of its path
     * ".../lib/libcublas.so.13", so a match may follow a '/' as well as a NUL.
     */
    private static boolean inLoaderCache(String name, Path cache) {
        try {
            byte[] bytes = Files.readAllBytes(cache);
            byte[] wanted = (name + "\0").getBytes(StandardCharsets.US_ASCII);
            outer:
            for (int i = 0; i + wanted.length <= bytes.length; i++) {
                for (int j = 0; j < wanted.length; j++) {
                    if (bytes[i + j] != wanted[j]) {
                        continue outer;
                    }
                }
                if (i == 0 || bytes[i - 1] == 0 || bytes[i - 1] == '/') {
                    return true;
                }
            }
            return false;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }
}
