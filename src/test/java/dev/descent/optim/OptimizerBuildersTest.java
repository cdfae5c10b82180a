package dev.descent.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Builders take PyTorch's argument names and start from PyTorch's defaults. */
class OptimizerBuildersTest {

    @Test
    void defaultsArePyTorchs() {
        assertEquals(Adam.adam(1e-3), Adam.builder().build());
        assertEquals(Adam.adamW(1e-3), Adam.adamWBuilder().build());
        assertEquals(Sgd.of(1e-3), Sgd.builder().build());
        assertEquals(Adagrad.of(1e-2), Adagrad.builder().build());
        assertEquals(RmsProp.of(1e-2), RmsProp.builder().build());
        assertEquals(Adadelta.of(1.0), Adadelta.builder().build());
        assertEquals(NAdam.of(2e-3), NAdam.builder().build());
        assertEquals(RAdam.of(1e-3), RAdam.builder().build());
    }

    @Test
    void everySetterReachesItsComponent() {
        assertEquals(new Adam(3e-4, 0.8, 0.99, 1e-6, 0.01, true, false),
                Adam.builder().lr(3e-4).betas(0.8, 0.99).eps(1e-6).weightDecay(0.01).amsgrad(true).build());
        assertEquals(new Sgd(0.1, 0.9, 0, true, 5e-4),
                Sgd.builder().lr(0.1).momentum(0.9).nesterov(true).weightDecay(5e-4).build());
        assertEquals(new Sgd(0.1, 0.9, 0.5, false, 0), Sgd.builder().lr(0.1).momentum(0.9).dampening(0.5).build());
        assertEquals(new Adagrad(0.05, 0.01, 1e-4, 0.1, 1e-9),
                Adagrad.builder().lr(0.05).lrDecay(0.01).weightDecay(1e-4).initialAccumulatorValue(0.1).eps(1e-9).build());
        assertEquals(new RmsProp(0.005, 0.9, 1e-7, 1e-4, 0.5, true),
                RmsProp.builder().lr(0.005).alpha(0.9).eps(1e-7).weightDecay(1e-4).momentum(0.5).centered(true).build());
        assertEquals(new Adadelta(0.5, 0.95, 1e-5, 1e-4), Adadelta.builder().lr(0.5).rho(0.95).eps(1e-5).weightDecay(1e-4).build());
        assertEquals(new NAdam(1e-3, 0.85, 0.98, 1e-7, 1e-4, 5e-3),
                NAdam.builder().lr(1e-3).betas(0.85, 0.98).eps(1e-7).weightDecay(1e-4).momentumDecay(5e-3).build());
        assertEquals(new RAdam(5e-4, 0.85, 0.98, 1e-7, 1e-4),
                RAdam.builder().lr(5e-4).betas(0.85, 0.98).eps(1e-7).weightDecay(1e-4).build());
    }

    @Test
    void buildRejectsBadValuesNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Adam.builder().lr(-1).build());
        assertTrue(e.getMessage().contains("lr") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Sgd.builder().nesterov(true).build());
        assertTrue(e.getMessage().contains("nesterov requires momentum > 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RmsProp.builder().alpha(1.5).build());
        assertTrue(e.getMessage().contains("alpha"), e.getMessage());
    }

    @Test
    void defaultsArePyTorchsAndChangesAreCheckedByName() {
        assertEquals(new Sgd(0.01, 0, 0, false, 0), OptimizerSpecs.defaults("sgd"));
        assertEquals(new Adam(1e-3, 0.9, 0.999, 1e-8, 0, false, false), OptimizerSpecs.defaults("adam"));
        assertEquals(new Adam(1e-3, 0.9, 0.999, 1e-8, 1e-2, false, true), OptimizerSpecs.defaults("adamw"));
        for (String name : new String[] {"adagrad", "rmsprop", "adadelta", "nadam", "radam"}) {
            assertEquals(name, OptimizerSpecs.defaults(name).name());
        }
        OptimizerSpec changed = OptimizerSpecs.withChanges(OptimizerSpecs.defaults("sgd"),
                java.util.Map.of("lr", "0.1", "momentum", "0.9", "nesterov", "true"));
        assertEquals(new Sgd(0.1, 0.9, 0, true, 0), changed);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OptimizerSpecs.withChanges(OptimizerSpecs.defaults("adam"), java.util.Map.of("momentum", "0.9")));
        assertTrue(e.getMessage().contains("adam has no hyperparameter 'momentum'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> OptimizerSpecs.withChanges(OptimizerSpecs.defaults("adam"), java.util.Map.of("beta1", "1.5")));
        assertTrue(e.getMessage().contains("beta1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OptimizerSpecs.defaults("lbfgs"));
        assertTrue(e.getMessage().contains("unknown optimizer 'lbfgs'"), e.getMessage());
    }
}
