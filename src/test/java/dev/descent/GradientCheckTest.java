package dev.descent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.cpu.ReferenceBackend;
import dev.descent.optim.Sgd;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Central finite differences against backpropagation, in double precision on the reference
 * backend (its buffers are read and perturbed directly, so no float rounding enters): every
 * activation, both losses, and a 3-layer model mixing activations.
 */
class GradientCheckTest {
    /** Central differences with h = 1e-6 in double: truncation ~h^2, cancellation ~1e-16/h. */
    private static final double H = 1e-6;
    private static final double TOLERANCE = 1e-6;

    private static void check(Model model, String what) {
        ReferenceBackend ref = new ReferenceBackend();
        int rows = 5;
        try (Session s = Session.create(model, ref, Sgd.of(0.1), rows, 11)) {
            Random random = new Random(model.architecture().hashCode());
            float[] x = new float[rows * model.inputWidth()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            int tw = model.loss().targetWidth(model.outputWidth());
            float[] y = new float[rows * tw];
            for (int i = 0; i < y.length; i++) {
                y[i] = model.loss() == Loss.MSE ? (float) random.nextGaussian() : random.nextInt(model.outputWidth());
            }
            s.loadBatch(x, y, rows);
            double[] p = ref.contents(s.parameterBuffer());
            // Move biases off zero so their gradients flow through non-trivial activations too.
            for (Layer l : model.layers()) {
                for (int j = 0; j < l.units(); j++) {
                    p[l.biasOffset() + j] = 0.3 * random.nextGaussian();
                }
            }
            meanLoss(s, ref, rows);
            double[] analytic = ref.contents(s.gradientBuffer()).clone();
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < p.length; i++) {
                double saved = p[i];
                p[i] = saved + H;
                double up = meanLoss(s, ref, rows);
                p[i] = saved - H;
                double down = meanLoss(s, ref, rows);
                p[i] = saved;
                double numeric = (up - down) / (2 * H);
                diff += (numeric - analytic[i]) * (numeric - analytic[i]);
                norm += analytic[i] * analytic[i];
            }
            double err = Math.sqrt(diff / norm);
            assertTrue(norm > 0, what + ": gradient is all zero");
            assertTrue(err < TOLERANCE, what + ": finite-difference relative L2 error " + err);
        }
    }

    /** The batch's mean loss (the quantity backward differentiates); also refreshes the gradients. */
    private static double meanLoss(Session s, ReferenceBackend ref, int rows) {
        s.forward(rows);
        s.backward(rows);
        return ref.contents(s.controlBuffer())[Control.BATCH_LOSS] / rows;
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void everyActivationUnderCrossEntropy(Activation act) {
        check(Model.builder(6).dense(7, act).dense(4, Activation.IDENTITY).build(), act + " + softmax CE");
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void everyActivationUnderMse(Activation act) {
        check(Model.builder(3).dense(5, act).dense(2, act).loss(Loss.MSE).build(), act + " + MSE");
    }

    @Test
    void threeLayerModel() {
        check(Model.builder(9).dense(8, Activation.TANH).dense(6, Activation.GELU).dense(5, Activation.IDENTITY)
                .init(Init.XAVIER_NORMAL).build(), "9-8 tanh-6 gelu-5 CE");
        check(Model.builder(4).dense(7, Activation.LEAKY_RELU).dense(5, Activation.SIGMOID).dense(3, Activation.IDENTITY)
                .loss(Loss.MSE).build(), "4-7 leaky-5 sigmoid-3 MSE");
    }
}
