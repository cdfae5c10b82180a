package dev.descent.cpu;

/** Lets other backends' parity tests reuse the op-count arithmetic of {@link CpuParityTest}. */
public final class CpuParityAccess {
    private CpuParityAccess() {}

    public static int expectedOpChecks() {
        return CpuParityTest.expectedOpChecks();
    }
}
