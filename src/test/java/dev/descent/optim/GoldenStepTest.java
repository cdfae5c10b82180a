package dev.descent.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.descent.Backend;
import dev.descent.ParameterSet;
import dev.descent.cpu.CpuBackend;
import dev.descent.internal.ReferenceRules;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Hand-computed steps for every update rule on a single scalar parameter. Each case is run
 * through the double reference and through the CPU backend's fused float32 path (via the
 * standalone {@link ParameterSet}), so both are pinned to numbers worked out independently.
 */
class GoldenStepTest {
    /** Reference rules in double: only the rounding of the literals. */
    private static final double REF_TOL = 1e-12;
    /** Fused float32 path: a handful of float roundings on values near 1. */
    private static final double FLOAT_TOL = 2e-6;

    /** Runs {@code expected.length} steps with gradient g(p) and checks p after each. */
    private static void check(OptimizerSpec spec, double p0, DoubleUnaryOperator grad, double[] lrs, double... expected) {
        double[] p = {p0};
        double[][] s = new double[spec.stateCount()][1];
        for (double[] buffer : s) {
            buffer[0] = spec.initialState();
        }
        double mu = 1;
        for (int t = 1; t <= expected.length; t++) {
            if (spec instanceof NAdam n) {
                mu *= n.mu(t);
            }
            ReferenceRules.step(spec, lrs[t - 1], p, new double[] {grad.applyAsDouble(p[0])}, s, 1, t, mu);
            assertEquals(expected[t - 1], p[0], REF_TOL, spec + " reference, step " + t);
        }
        try (Backend cpu = new CpuBackend(1);
             ParameterSet ps = ParameterSet.builder(cpu, spec).add(new float[] {(float) p0}).build()) {
            for (int t = 1; t <= expected.length; t++) {
                float current = ps.download(0)[0];
                ps.setGradients(new float[] {(float) grad.applyAsDouble(current)});
                ps.step(lrs[t - 1]);
                assertEquals(expected[t - 1], ps.download(0)[0], FLOAT_TOL, spec + " cpu float32, step " + t);
            }
        }
    }

    private static double[] constantLr(double lr, int steps) {
        double[] lrs = new double[steps];
        java.util.Arrays.fill(lrs, lr);
        return lrs;
    }

    /** Loss var^2/2, so the gradient is var itself. */
    private static final DoubleUnaryOperator HALF_SQUARE = v -> v;

    @Test
    void sgdMomentumMatchesKerasExampleUnderConstantLr() {
        // Keras: v = 0.9v - 0.1g; var += v. From var=1: v=-0.1 (var 0.9), then v=0.9*-0.1-0.1*0.9=-0.18 (var 0.72).
        // PyTorch: b=g=1, var=0.9; b=0.9*1+0.9=1.8, var=0.9-0.18=0.72. Same path: moves of 0.1 then 0.18.
        check(new Sgd(0.1, 0.9, 0, false, 0), 1.0, HALF_SQUARE, constantLr(0.1, 2), 0.9, 0.72);
    }

    @Test
    void sgdMomentumDiffersFromKerasWhenLrChanges() {
        // Third step at lr 0.05. Keras folds lr into v: v = 0.9*-0.18 - 0.05*0.72 = -0.198 -> 0.522.
        // PyTorch keeps lr outside: b = 0.9*1.8 + 0.72 = 2.34 -> 0.72 - 0.05*2.34 = 0.603 (what descent implements).
        double[] lrs = {0.1, 0.1, 0.05};
        check(new Sgd(0.1, 0.9, 0, false, 0), 1.0, HALF_SQUARE, lrs, 0.9, 0.72, 0.603);
        double keras = kerasMomentum(lrs);
        assertEquals(0.522, keras, 1e-12);
        assertNotEquals(0.603, keras, 1e-3);
    }

    private static double kerasMomentum(double[] lrs) {
        double var = 1, v = 0;
        for (double lr : lrs) {
            v = 0.9 * v - lr * var;
            var += v;
        }
        return var;
    }

    @Test
    void sgdPlainNesterovDampeningAndWeightDecay() {
        check(Sgd.of(0.1), 1.0, HALF_SQUARE, constantLr(0.1, 2), 0.9, 0.81);
        // Nesterov: step 1 b=1, g=1+0.9*1=1.9 -> 0.81; step 2 g=0.81, b=0.9+0.81=1.71, g=0.81+1.539=2.349 -> 0.5751
        check(new Sgd(0.1, 0.9, 0, true, 0), 1.0, HALF_SQUARE, constantLr(0.1, 2), 0.81, 0.5751);
        // Dampening 0.5 is not applied on step 1: b=1 -> 0.9; step 2 b=0.9+0.5*0.9=1.35 -> 0.765
        check(new Sgd(0.1, 0.9, 0.5, false, 0), 1.0, HALF_SQUARE, constantLr(0.1, 2), 0.9, 0.765);
        // Weight decay 0.5 on a zero gradient: g = 0.5*p, p *= 0.95 each step
        check(new Sgd(0.1, 0, 0, false, 0.5), 1.0, v -> 0, constantLr(0.1, 2), 0.95, 0.9025);
    }

    @Test
    void adamMovesByLrUnderConstantGradient() {
        // With a constant gradient, m/bc1 = g and sqrt(v/bc2) = |g|: each step is lr*g/(|g|+eps), i.e. lr.
        double step = 0.1 * 0.5 / (0.5 + 1e-8);
        check(Adam.adam(0.1), 1.0, v -> 0.5, constantLr(0.1, 2), 1 - step, 1 - 2 * step);
    }

    @Test
    void adamL2AndAdamWDecoupledDecay() {
        // L2: zero loss gradient, wd 0.5: g = 0.5*p = 0.5 -> Adam step of lr -> 0.9
        check(Adam.adam(0.1).withWeightDecay(0.5), 1.0, v -> 0, constantLr(0.1, 1), 1 - 0.1 * 0.5 / (0.5 + 1e-8));
        // AdamW: p -= lr*wd*p = 0.1*0.1*1 -> 0.99, then Adam on g=0 moves nothing.
        check(new Adam(0.1, 0.9, 0.999, 1e-8, 0.1, false, true), 1.0, v -> 0, constantLr(0.1, 1), 0.99);
    }

    @Test
    void amsgradKeepsTheLargerSecondMoment() {
        // g = 1 then 0. Step 2: v = 0.999*0.001 < vmax = 0.001, so AMSGrad divides by sqrt(0.001), Adam by sqrt(0.000999).
        DoubleUnaryOperator oneThenZero = new DoubleUnaryOperator() {
            int calls;

            @Override
            public double applyAsDouble(double v) {
                return calls++ % 2 == 0 ? 1 : 0;
            }
        };
        check(Adam.adam(0.1).withAmsgrad(true), 1.0, oneThenZero, constantLr(0.1, 2), 0.900000001, 0.8330276878258663);
        DoubleUnaryOperator again = new DoubleUnaryOperator() {
            int calls;

            @Override
            public double applyAsDouble(double v) {
                return calls++ % 2 == 0 ? 1 : 0;
            }
        };
        check(Adam.adam(0.1), 1.0, again, constantLr(0.1, 2), 0.900000001, 0.8329941765341886);
    }

    @Test
    void adagradAccumulatesSquaresAndDecaysLr() {
        // g=2: s=4, p -= 0.1*2/(2+eps) -> 0.9; s=8, p -= 0.1*2/(sqrt(8)+eps) -> 0.82929
        double eps = 1e-10;
        double p1 = 1 - 0.1 * 2 / (2 + eps);
        check(Adagrad.of(0.1), 1.0, v -> 2, constantLr(0.1, 2), p1, p1 - 0.1 * 2 / (Math.sqrt(8) + eps));
        // lr_decay 0.5: step 2 uses clr = 0.1/(1+0.5)
        check(new Adagrad(0.1, 0.5, 0, 0, eps), 1.0, v -> 2, constantLr(0.1, 2), p1,
                p1 - 0.1 / 1.5 * 2 / (Math.sqrt(8) + eps));
        // initial accumulator 12: s = 16 on step 1 -> p -= 0.1*2/4
        check(new Adagrad(0.1, 0, 0, 12, eps), 1.0, v -> 2, constantLr(0.1, 1), 1 - 0.1 * 2 / (4 + eps));
    }

    @Test
    void rmspropPlainCenteredAndMomentum() {
        // v = 0.01*g^2 = 0.01, p -= 0.01*1/(0.1+eps)
        check(RmsProp.of(0.01), 1.0, v -> 1, constantLr(0.01, 1), 1 - 0.01 / (0.1 + 1e-8));
        // centered: ga = 0.01, vt = 0.01 - 0.0001
        check(new RmsProp(0.01, 0.99, 1e-8, 0, 0, true), 1.0, v -> 1, constantLr(0.01, 1), 0.8994962285750878);
        // momentum 0.9 over two steps of g=1
        check(new RmsProp(0.01, 0.99, 1e-8, 0, 0.9, false), 1.0, v -> 1, constantLr(0.01, 2),
                1 - 0.01 / (0.1 + 1e-8), 0.7391119035242897);
    }

    @Test
    void adadeltaKeepsEpsInsideBothRoots() {
        // v = 0.1, dx = sqrt(1e-6)/sqrt(0.1+1e-6), u = 0.1*dx^2; second step from there
        check(Adadelta.of(1.0), 1.0, v -> 1, constantLr(1.0, 2), 0.9968377381511013, 0.9935933263774006);
    }

    @Test
    void nadamFirstStepUsesTheMomentumSchedule() {
        // mu1 = 0.9(1-0.5*0.96^0.004) = 0.450073, mu2 = 0.450147; m = 0.1, v/bc2 = 1:
        // p -= 0.1*(1-mu1)/(1-mu1)*1 + 0.1*mu2/(1-mu1*mu2)*0.1
        check(NAdam.of(0.1), 1.0, v -> 1, constantLr(0.1, 1), 0.894354823220913);
    }

    @Test
    void radamIsSgdWithMomentumUntilRhoExceedsFive() {
        // rho_t = 1, 2.0, 3.0, 4.0, 4.996 for t=1..5: p -= lr*m/bc1 = lr*g = 0.05 each step.
        // t=6: rho = 5.994 > 5, r = 0.0258211; step = lr*r*g*sqrt(bc2)/(sqrt(v)+eps) ~= lr*r.
        double bc2 = 1 - Math.pow(0.999, 6);
        double rectified = 0.1 * 0.5 * 0.02582111280185855 * Math.sqrt(bc2) / (Math.sqrt(bc2 * 0.25) + 1e-8);
        check(RAdam.of(0.1), 1.0, v -> 0.5, constantLr(0.1, 6), 0.95, 0.9, 0.85, 0.8, 0.75, 0.75 - rectified);
    }
}
