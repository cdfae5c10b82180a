package dev.descent.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Backend;
import dev.descent.cpu.CpuBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The check a user runs on their own device: it passes a correct backend and catches a wrong one. */
public class BackendCheckTest {
    private static final long SEED = System.nanoTime();

    /** Calls {@code method} on {@code target} for a proxy, rethrowing what the method itself threw. */
    public static Object forward(Backend target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * The CPU backend with its GEMM's alpha and beta off by one part in a thousand, so every GEMM
     * result is 0.1% off (100 times the tolerance) whatever the random inputs; every other op is right.
     */
    static Backend gemmOffByOnePartInAThousand() {
        Backend cpu = new CpuBackend(1);
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("gemm")) {
                        args[5] = (Float) args[5] * 1.001f;
                        args[10] = (Float) args[10] * 1.001f;
                    }
                    return forward(cpu, method, args);
                });
    }

    /**
     * The CPU backend with optimizer state {@code index} (where the rule has one) shrunk by 10%
     * after every update: the only thing wrong is that one state.
     */
    static Backend stateOffByTenPercent(Backend cpu, int index) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    Object result = forward(cpu, method, args);
                    if (method.getName().equals("step") && ((dev.descent.Buf[]) args[4]).length > index) {
                        dev.descent.Buf state = ((dev.descent.Buf[]) args[4])[index];
                        int length = (Integer) args[5];
                        float[] x = new float[length];
                        cpu.download(state, 0, x, 0, length);
                        for (int i = 0; i < length; i++) {
                            x[i] *= 0.9f;
                        }
                        cpu.upload(x, 0, state, 0, length);
                    }
                    return result;
                });
    }

    /**
     * Every optimizer state, the tiny ones included (Adadelta's acc_delta is about 1e-6, far below
     * the 0.1 absolute floor that once let an all-zero acc_delta pass), fails at every step when
     * it is 10% off.
     */
    @Test
    void aTenPercentErrorInAnyOptimizerStateFailsEveryComparisonOfThatState() {
        for (int index = 0; index < 3; index++) {
            try (Backend cpu = new CpuBackend(1)) {
                ParityLog log = ParityLog.collecting();
                OptimizerParity.run(stateOffByTenPercent(cpu, index), SEED, log);
                int states = 0;
                for (OptimizerParity.Config c : OptimizerParity.CONFIGS) {
                    if (c.spec().stateCount() <= index) {
                        continue;
                    }
                    String name = c.spec().stateNames().get(index);
                    states++;
                    long failed = log.mismatches().stream()
                            .filter(m -> m.startsWith("cpu " + c.name() + " n=")
                                    && m.matches("(?s).* tensor [01] " + java.util.regex.Pattern.quote(name) + "[: ].*")).count();
                    assertEquals(OpParity.SIZES.length * OptimizerParity.STEPS * 2, failed,
                            c.name() + " " + name + " 10% off, seed " + SEED + ": " + failed + " comparisons caught it");
                }
                assertTrue(states > 0 || index == 2, "state " + index + " exists in some rule");
            }
        }
    }

    @Test
    void aCorrectBackendPassesEveryComparison() {
        ParityLog log = BackendCheck.run(() -> new CpuBackend(2), SEED);
        assertTrue(log.passed(), "seed " + SEED + ": " + log.mismatches());
        assertEquals(BackendCheck.expectedComparisons(), log.comparisons(), "seed " + SEED);
        assertEquals(8 + OptimizerParity.CONFIGS.size() + 1, log.families().size(), log.families().toString());
        for (ParityLog.Family f : log.families()) {
            assertTrue(f.comparisons() > 0 && f.worstRatio() <= 1, f.toString());
        }
        System.out.println("[parity] BackendCheck on cpu: " + log.comparisons() + " comparisons");
    }

    @Test
    void aWrongGemmFailsEveryGemmComparisonAndNothingElseOfTheOps() {
        Supplier<Backend> broken = BackendCheckTest::gemmOffByOnePartInAThousand;
        ParityLog log = BackendCheck.run(broken, SEED);
        assertFalse(log.passed());
        assertEquals(BackendCheck.expectedComparisons(), log.comparisons(), "a collecting log goes on past mismatches");
        ParityLog.Family gemm = log.families().get(0);
        assertEquals("gemm", gemm.name());
        assertEquals(OpParity.expectedGemmChecks(), gemm.mismatches(), "every GEMM comparison, seed " + SEED);
        assertTrue(gemm.worstRatio() > 10, gemm.toString());
        for (ParityLog.Family f : log.families().subList(1, log.families().size() - 1)) {
            assertEquals(0, f.mismatches(), f.toString());  // the ops and rules that use no GEMM
        }
        assertTrue(log.mismatches().get(0).contains("gemm NN 1x1x1 alpha=1.0 beta=0.0"), log.mismatches().get(0));
        // The suites' fail-fast log stops at the first.
        ParityMismatch first = assertThrows(ParityMismatch.class, () -> {
            try (Backend b = broken.get()) {
                new OpParity(b, SEED).gemm();
            }
        });
        assertEquals(log.mismatches().get(0), first.getMessage());
    }

    @Test
    void theHarnessFreesWhatItAllocates() {
        // Buffers the harness holds on the backend under test: allocate adds one, free removes it.
        java.util.Set<Object> live = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        int[] allocations = {0};
        try (Backend cpu = new CpuBackend(1)) {
            Backend counted = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                    (proxy, method, args) -> {
                        Object result = forward(cpu, method, args);
                        if (method.getName().equals("allocate")) {
                            live.add(result);
                            allocations[0]++;
                        } else if (method.getName().equals("free")) {
                            assertTrue(live.remove(args[0]), "a buffer freed twice or never allocated");
                        }
                        return result;
                    });
            new OpParity(counted, SEED, ParityLog.collecting()).runAllOps();
            OptimizerParity.run(counted, SEED, ParityLog.collecting());
        }
        assertTrue(allocations[0] > 100, allocations[0] + " allocations: the count saw the harness allocate");
        assertEquals(0, live.size(), live.size() + " of " + allocations[0] + " buffers left allocated");
    }
}
