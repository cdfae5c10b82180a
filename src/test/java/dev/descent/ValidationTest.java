package dev.descent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.CpuBackend;
import dev.descent.data.Dataset;
import dev.descent.optim.Adadelta;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.RAdam;
import dev.descent.optim.RmsProp;
import dev.descent.optim.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every validation path: the exception names the parameter and the offending value. */
class ValidationTest {

    private static void rejects(Executable code, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, code);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void optimizerHyperparameters() {
        rejects(() -> Sgd.of(0), "lr", "0.0");
        rejects(() -> Sgd.of(-1e-3), "lr", "-0.001");
        rejects(() -> Sgd.of(Double.NaN), "lr", "NaN");
        rejects(() -> Sgd.of(Double.POSITIVE_INFINITY), "lr", "Infinity");
        rejects(() -> new Sgd(0.1, -0.5, 0, false, 0), "momentum", "-0.5");
        rejects(() -> new Sgd(0.1, 0, -1, false, 0), "dampening", "-1");
        rejects(() -> new Sgd(0.1, 0, 0, false, -1e-4), "weightDecay", "-1.0E-4");
        rejects(() -> new Sgd(0.1, 0, 0, true, 0), "nesterov", "momentum=0.0");
        rejects(() -> new Sgd(0.1, 0.9, 0.1, true, 0), "nesterov", "dampening=0.1");
        rejects(() -> new Adam(1e-3, 1.0, 0.999, 1e-8, 0, false, false), "beta1", "1.0");
        rejects(() -> new Adam(1e-3, -0.1, 0.999, 1e-8, 0, false, false), "beta1", "-0.1");
        rejects(() -> new Adam(1e-3, 0.9, 1.5, 1e-8, 0, false, false), "beta2", "1.5");
        rejects(() -> new Adam(1e-3, 0.9, 0.999, 0, 0, false, false), "eps", "0.0");
        rejects(() -> new Adam(1e-3, 0.9, 0.999, -1e-8, 0, false, false), "eps");
        rejects(() -> new Adagrad(0.1, -1, 0, 0, 1e-10), "lrDecay", "-1");
        rejects(() -> new Adagrad(0.1, 0, 0, -0.1, 1e-10), "initialAccumulatorValue", "-0.1");
        rejects(() -> new RmsProp(0.1, 1.0, 1e-8, 0, 0, false), "alpha", "1.0");
        rejects(() -> new RmsProp(0.1, 0.99, 1e-8, 0, -0.9, false), "momentum", "-0.9");
        rejects(() -> new Adadelta(1, 1.1, 1e-6, 0), "rho", "1.1");
        rejects(() -> new Adadelta(1, 0.9, 0, 0), "eps", "0.0");
        rejects(() -> new NAdam(1e-3, 0.9, 0.999, 1e-8, 0, -4e-3), "momentumDecay", "-0.004");
        rejects(() -> new RAdam(1e-3, 0.9, 1, 1e-8, 0), "beta2", "1.0");
        rejects(() -> Adam.adam(1e-3).withLr(0), "lr", "0.0");
    }

    @Test
    void guardsSchedulesAndNames() {
        rejects(() -> new StepGuard(-1, 0, 10), "clipNorm", "-1");
        rejects(() -> new StepGuard(0, Double.NaN, 10), "clipValue", "NaN");
        rejects(() -> new StepGuard(0, 0, 0), "maxBadSteps", "0");
        rejects(() -> Schedule.parse("linear"), "schedule", "linear");
        rejects(() -> Schedule.parse("step:x:0.5"), "step:x:0.5", "malformed");
        rejects(() -> Schedule.parse("step:0:0.5"), "step epochs", "0");
        rejects(() -> Schedule.parse("exp:-1"), "gamma", "-1");
        rejects(() -> Schedule.warmup(-1, Schedule.CONSTANT), "warmup epochs", "-1");
        rejects(() -> Activation.parse("swish"), "activation", "swish");
        rejects(() -> Init.parse("lecun"), "init", "lecun");
        rejects(() -> Backends.open("tpu"), "backend", "tpu");
    }

    @Test
    void anUnavailableBackendSaysSo() {
        org.junit.jupiter.api.Assumptions.assumeFalse(Backends.probe("cuda").available(),
                "CUDA opens on this machine (a GPU host), so it cannot be the unavailable backend");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.open("cuda"));
        assertTrue(e.getMessage().contains("cuda is unavailable"), e.getMessage());
    }

    @Test
    void modelsAndTrainerConfig() {
        rejects(() -> Model.builder(0), "inputWidth", "0");
        rejects(() -> Model.builder(3).dense(0, Activation.RELU), "units of layer 1", "0");
        rejects(() -> Model.builder(3).build(), "at least one dense layer");
        rejects(() -> Model.builder(3).dense(1, Activation.IDENTITY).build(), "output width >= 2", "1");
        rejects(() -> Model.builder(3).dense(4, null), "activation of layer 1");
        rejects(() -> new Trainer.Config(0, 8, 1, Schedule.CONSTANT, true), "epochs", "0");
        rejects(() -> new Trainer.Config(1, 0, 1, Schedule.CONSTANT, true), "batchSize", "0");
    }

    @Test
    void datasets() {
        rejects(() -> Dataset.classification(new float[6], 3, 2, new int[] {0, 1, 2}, 2), "label at row 2", "2");
        rejects(() -> Dataset.classification(new float[6], 3, 2, new int[] {0, -1, 1}, 2), "label at row 1", "-1");
        rejects(() -> Dataset.classification(new float[5], 3, 2, new int[3], 2), "features", "5", "6");
        rejects(() -> Dataset.classification(new float[] {0, Float.NaN}, 1, 2, new int[1], 2), "features", "NaN", "index 1");
        rejects(() -> Dataset.regression(new float[] {0, 1}, 1, 2, new float[] {Float.POSITIVE_INFINITY}, 1),
                "targets", "Infinity");
        rejects(() -> Dataset.classification(new float[0], 0, 2, new int[0], 2), "rows", "0");
        rejects(() -> Dataset.classification(new float[2], 1, 2, new int[1], 1), "classes", "1");
    }

    @Test
    void sessionsAndParameterSets() {
        Model model = Model.builder(3).dense(4, Activation.RELU).dense(2, Activation.IDENTITY).build();
        try (Backend cpu = new CpuBackend(); Session s = Session.create(model, cpu, Sgd.of(0.1), 4, 1)) {
            rejects(() -> s.loadBatch(new float[9], new float[3], 4), "x", "9", "12");
            rejects(() -> s.loadBatch(new float[6], new float[] {0, 2}, 2), "label at row 1", "2.0");
            rejects(() -> s.loadBatch(new float[6], new float[] {0, 0.5f}, 2), "label at row 1", "0.5");
            rejects(() -> s.loadBatch(new float[] {0, 0, Float.NaN, 0, 0, 0}, new float[2], 2), "NaN");
            rejects(() -> s.loadBatch(new float[15], new float[5], 5), "rows", "maxBatch", "5");
            rejects(() -> s.forward(0), "rows", "0");
            rejects(() -> s.step(0f, 0, 1), "lr", "0.0");
            rejects(() -> s.setParameters(new float[3]), "parameters", "3");
            rejects(() -> s.predict(new float[4], 1), "x", "4", "3");
            rejects(() -> s.upload(Dataset.classification(new float[4], 2, 2, new int[2], 2)), "2 feature columns",
                    "expects 3");
            rejects(() -> s.upload(Dataset.classification(new float[9], 3, 3, new int[] {0, 1, 2}, 3)), "3 classes");
            rejects(() -> new Session(model, cpu, Sgd.of(0.1), 0, true), "maxBatch", "0");
            rejects(() -> ParameterSet.builder(cpu, Sgd.of(0.1)).build(), "at least one tensor");
            rejects(() -> ParameterSet.builder(cpu, Sgd.of(0.1)).add(new float[] {Float.NaN}), "tensor 0", "NaN");
            try (ParameterSet ps = ParameterSet.builder(cpu, Sgd.of(0.1)).add(new float[3]).build()) {
                rejects(() -> ps.setGradients(new float[2]), "gradient 0", "2", "3");
                rejects(() -> ps.setGradients(new float[3], new float[3]), "2 gradients for 1 tensors");
                rejects(() -> ps.step(-1), "lr", "-1");
                assertEquals(0, ps.steps());
            }
        }
    }

    @Test
    void schedulesComputeTheDocumentedFactors() {
        assertEquals(1, Schedule.CONSTANT.factor(123, 10, 5));
        Schedule step = Schedule.parse("step:2:0.5");
        assertEquals(1, step.factor(19, 10, 10));
        assertEquals(0.5, step.factor(20, 10, 10));
        assertEquals(0.25, step.factor(45, 10, 10));
        assertEquals(0.81, Schedule.parse("exp:0.9").factor(25, 10, 10), 1e-12);
        Schedule cos = Schedule.parse("cosine:0.1");
        assertEquals(1, cos.factor(0, 10, 4), 1e-12);
        assertEquals(0.55, cos.factor(20, 10, 4), 1e-12);
        Schedule warm = Schedule.warmup(1, Schedule.CONSTANT);
        assertEquals(0.1, warm.factor(0, 10, 5), 1e-12);
        assertEquals(1.0, warm.factor(9, 10, 5), 1e-12);
        assertEquals(1.0, warm.factor(10, 10, 5), 1e-12);
        // after the warmup the inner schedule restarts: cosine over the remaining 4 epochs
        assertEquals(1.0, Schedule.warmup(1, Schedule.cosine(0)).factor(10, 10, 5), 1e-12);
        assertEquals(0.5, Schedule.warmup(1, Schedule.cosine(0)).factor(30, 10, 5), 1e-12);
    }
}
