package dev.descent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.optim.OptimizerSpec;
import dev.descent.verify.OptimizerParity;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The compiler makes every backend handle every rule (OptimizerSpec.Cases); this makes every rule
 * reach the parity harness that all backends run, and the benchmark's rule list.
 */
class EveryRuleIsCoveredTest {

    @Test
    void everyPermittedRuleIsInTheParityConfigsAndTheBench() throws Exception {
        Set<Class<?>> rules = Arrays.stream(OptimizerSpec.class.getPermittedSubclasses()).collect(Collectors.toSet());
        assertEquals(7, rules.size(), "rules: " + rules);
        Set<Class<?>> tested = OptimizerParity.CONFIGS.stream().map(c -> c.spec().getClass()).collect(Collectors.toSet());
        assertEquals(rules, tested, "rules without a parity configuration");
        java.lang.reflect.Field f = Class.forName("dev.descent.cli.BenchCommand").getDeclaredField("RULES");
        f.setAccessible(true);
        Set<Class<?>> benched = ((java.util.List<?>) f.get(null)).stream().map(Object::getClass).collect(Collectors.toSet());
        assertTrue(benched.containsAll(rules), "rules missing from bench: " + rules + " vs " + benched);
    }
}
