package dev.descent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Backend;
import dev.descent.cpu.CpuBackend;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code descent check} when the backend itself fails, rather than computing something wrong. */
class CheckCommandTest {
    /**
     * The CPU backend, except that its GEMM throws an IllegalArgumentException, as a driver that
     * rejects a kernel's launch configuration does through JCuda: the type the CLI otherwise
     * reports as a usage error (exit 2).
     */
    static Backend gemmThrows() {
        Backend cpu = new CpuBackend(1);
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("gemm")) {
                        throw new IllegalArgumentException("CUDA_ERROR_INVALID_VALUE: launch refused");
                    }
                    return dev.descent.verify.BackendCheckTest.forward(cpu, method, args);
                });
    }

    @Test
    void aBackendThatThrowsIsAFailedCheckExitOneWithTheReason() {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = CheckCommand.checkOrFail("broken",
                    () -> new CheckCommand().check(gemmThrows(), CheckCommandTest::gemmThrows, 7));
        } finally {
            System.setOut(old);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, printed);
        assertTrue(printed.contains("FAILED: broken threw java.lang.IllegalArgumentException: CUDA_ERROR_INVALID_VALUE"),
                printed);
        assertTrue(printed.contains("seed 7"), "the seed that reproduces it: " + printed);
    }
}
