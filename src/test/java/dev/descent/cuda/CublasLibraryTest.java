package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which cuBLAS JCublas binds to: a real libcublas.so.12 first, else CUDA 13's through the forwarder. */
class CublasLibraryTest {
    private static final Path NO_CACHE = Path.of("/nonexistent/ld.so.cache");

    @Test
    void aRealCuda12LibraryIsUsedAsItIs(@TempDir Path dir) throws Exception {
        Files.createFile(dir.resolve("libcublas.so.12"));
        Files.createFile(dir.resolve("libcublas.so.13"));
        assertEquals("", CublasLibrary.choose("/nowhere:" + dir, NO_CACHE));
    }

    @Test
    void withNeitherTheReasonNamesBoth(@TempDir Path dir) {
        Assumptions.assumeFalse(CublasLibrary.findable("libcublas.so.12", null, Path.of("/etc/ld.so.cache"))
                || CublasLibrary.findable("libcublas.so.13", null, Path.of("/etc/ld.so.cache")), "this machine has cuBLAS");
        assertEquals("no libcublas.so.12 (CUDA 12) or libcublas.so.13 (CUDA 13) on the library path",
                CublasLibrary.choose(dir.toString(), NO_CACHE));
    }

    @Test
    void theLoaderCacheCountsWholeNamesOnly(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("ld.so.cache");
        Files.write(cache, "glibc-ld.so.cache1.1\0libcublas.so.13\0/usr/local/cuda/lib64/libcublas.so.13\0xlibcublas.so.12\0"
                .getBytes(StandardCharsets.US_ASCII));
        assertTrue(CublasLibrary.findable("libcublas.so.13", null, cache));
        assertFalse(CublasLibrary.findable("libcublas.so.1", null, cache), "a prefix of a name is not the name");
        assertFalse(CublasLibrary.findable("libcublas.so.12", "", cache), "only as part of another name");
    }

    /** The forwarder is in the jar and loads; without cuBLAS 13 behind it, its functions answer NOT_SUPPORTED. */
    @Test
    void onlyCuda13LoadsTheForwarder(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(dev.descent.io.NativeLibraries.isLinuxX64(), "the forwarder is built for x86-64 Linux");
        Assumptions.assumeTrue(CublasLibraryTest.class.getResource(CublasLibrary.FORWARDER) != null || System.getenv("CI") != null,
                "gcc was not available to build the forwarder");
        Files.createFile(dir.resolve("libcublas.so.13"));
        assertEquals("CUDA 13's cuBLAS through descent's libcublas.so.12 forwarder", CublasLibrary.choose(dir.toString(), NO_CACHE));
    }
}
