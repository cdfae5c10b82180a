package dev.descent.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Activation;
import dev.descent.Backends;
import dev.descent.Checkpoint;
import dev.descent.Control;
import dev.descent.Model;
import dev.descent.Session;
import dev.descent.StepGuard;
import dev.descent.optim.Adam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.Sgd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Spark tasks with 32 rows each per step train exactly what one process trains with batches
 * of 64 made of the same rows in the same order: same parameters within float tolerance after 20
 * steps, for SGD with momentum and for Adam, with global-norm clipping, and with a step whose
 * gradient overflows on one task only (the guard skips it on both, as one process skips it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DataParallelTest {
    /**
     * float32 sums in another order (two half-batch GEMMs, then a double average): a few ulps per
     * step. Measured 7.5e-8 to 1.1e-7 after 20 steps; the README's "about 1e-7" is this bound.
     */
    private static final double SAME_TRAINING = 3e-7;
    private static final int FEATURES = 12, CLASSES = 3, PER_TASK = 32, STEPS = 20;
    private static final Model MODEL = Model.builder(FEATURES).dense(16, Activation.RELU).dense(CLASSES, Activation.IDENTITY).build();

    private JavaSparkContext spark;

    @BeforeAll
    void start() {
        spark = new JavaSparkContext(conf().setAppName("descent-data-parallel-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    /** Two task slots in this JVM; {@link LocalClusterDataParallelTest} runs the same cases across JVMs. */
    SparkConf conf() {
        return new SparkConf().setMaster("local[2]");
    }

    @AfterAll
    void stop() {
        spark.stop();
    }

    @Test
    void sgdWithMomentumMatchesOneProcess() {
        compare(Sgd.momentum(0.05, 0.9), StepGuard.NONE, -1, "ring");
    }

    @Test
    void sparksOwnAllGatherGivesTheSameTraining() {
        compare(Sgd.momentum(0.05, 0.9), StepGuard.NONE, -1, "barrier");
    }

    @Test
    void adamMatchesOneProcess() {
        compare(Adam.adam(0.01), StepGuard.NONE, -1, "ring");
    }

    @Test
    void clippingUsesTheGlobalGradientsNorm() {
        compare(Adam.adam(0.01), new StepGuard(0.05, 0, StepGuard.DEFAULT_MAX_BAD_STEPS), -1, "ring");
    }

    /** compare() asserts the one process counted exactly one bad step, and the two tasks ended where it did. */
    @Test
    void aStepThatOverflowsOnOneTaskIsSkippedOnBoth() {
        compare(Sgd.momentum(0.05, 0.9), StepGuard.NONE, 7, "ring");
    }

    /**
     * Partitions of unequal size: 40 and 24 rows in steps of 16 per task, so the second task's
     * last batch is short (8 rows) and in the third step it has no rows left and contributes
     * nothing; one process trains batches of 32, 24 and 8 made of the same rows.
     */
    @Test
    void raggedPartitionsMatchOneProcess() {
        compareRagged(40, 24);
    }

    /** The second task runs out after its first step and sends empty messages for the other two. */
    @Test
    void aTaskWithNoRowsLeftMatchesOneProcess() {
        compareRagged(40, 8);
    }

    private void compareRagged(int first, int second) {
        int batch = 16;
        List<LabeledVector> rows = rows(first + second, 23, -1);
        List<List<LabeledVector>> parts = List.of(new ArrayList<>(rows.subList(0, first)),
                new ArrayList<>(rows.subList(first, first + second)));
        OptimizerSpec adam = Adam.adam(0.01);
        TrainingConfig config = TrainingConfig.of(MODEL, adam, 1, batch, 0.05f, 5).withShuffle(false);
        // Keyed by partition and shuffled from a single map task, so partition t holds exactly
        // parts[t], in order (a union is refused by barrier mode; a test lambda is not shipped).
        List<scala.Tuple2<Integer, LabeledVector>> keyed = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            for (LabeledVector v : parts.get(t)) {
                keyed.add(new scala.Tuple2<>(t, v));
            }
        }
        Checkpoint distributed = DataParallel.fit(spark.parallelizePairs(keyed, 1)
                .partitionBy(new org.apache.spark.HashPartitioner(2)).values(), config);
        int steps = (Math.max(first, second) + batch - 1) / batch;
        float[] single;
        try (Session one = Session.create(MODEL, Backends.open("cpu"), adam, 2 * batch, 5)) {
            for (int s = 0; s < steps; s++) {
                List<LabeledVector> step = new ArrayList<>();
                for (List<LabeledVector> part : parts) {
                    step.addAll(part.subList(Math.min(part.size(), s * batch), Math.min(part.size(), (s + 1) * batch)));
                }
                float[] x = new float[step.size() * FEATURES];
                float[] y = new float[step.size()];
                for (int r = 0; r < step.size(); r++) {
                    System.arraycopy(step.get(r).features(), 0, x, r * FEATURES, FEATURES);
                    y[r] = step.get(r).label();
                }
                one.loadBatch(x, y, step.size());
                one.forward(step.size());
                one.backward(step.size());
                one.step(0.05f, s, step.size());
            }
            assertEquals(steps, one.steps());
            single = one.parameters();
        }
        assertEquals(Integer.toString(steps), distributed.metadata().get("steps"));
        double err = relativeL2(distributed.parameters(), single);
        System.out.println("[spark] " + spark.master() + " partitions of " + first + " and " + second + " rows, " + batch
                + " per task: relative L2 to one process " + err);
        assertTrue(err <= SAME_TRAINING, "relative L2 " + err + " > " + SAME_TRAINING);
    }

    @Test
    void aTaskKilledMidEpochResumesFromTheLastEpochAndEndsWhereAnUninterruptedRunEnds(@TempDir Path dir)
            throws Exception {
        List<LabeledVector> rows = rows(2 * PER_TASK * 5, 13, -1);
        TrainingConfig config = TrainingConfig.of(MODEL, Adam.adam(0.01), 3, PER_TASK, 0.01f, 9)
                .withSchedule("cosine");
        Path clean = Files.createDirectory(dir.resolve("clean"));
        Path faulted = Files.createDirectory(dir.resolve("faulted"));
        Path marker = dir.resolve("fault-fired");
        Checkpoint uninterrupted = DataParallel.fit(spark.parallelize(rows, 2), config.withCheckpointDir(clean.toString()));
        Checkpoint resumed = DataParallel.fit(spark.parallelize(rows, 2), config.withCheckpointDir(faulted.toString())
                .withFault(new FaultPlan(1, 1, 3, marker.toString())));
        assertTrue(Files.exists(marker), "the injected fault never fired");
        assertEquals("0", uninterrupted.metadata().get("attemptStartedAtEpoch"));
        assertEquals("1", resumed.metadata().get("attemptStartedAtEpoch"), "the retried stage did not resume at epoch 1");
        assertEquals("3", resumed.metadata().get("epochs"));
        assertEquals(uninterrupted.metadata().get("steps"), resumed.metadata().get("steps"));
        // Resuming restores parameters, optimizer state and step count, and epoch e's shuffle
        // depends only on (seed, e, task): the same run, bit for bit.
        assertArrayEquals(uninterrupted.parameters(), resumed.parameters());
        System.out.println("[spark] " + spark.master() + " task 1 killed at epoch 1 step 3: the retried stage resumed at epoch "
                + resumed.metadata().get("attemptStartedAtEpoch") + " and ended bit-identical to the uninterrupted run");

        // Another run pointed at that directory is refused rather than silently continued.
        Exception e = assertThrows(Exception.class, () -> DataParallel.fit(spark.parallelize(rows, 2),
                TrainingConfig.of(MODEL, Adam.adam(0.01), 3, PER_TASK, 0.01f, 10).withCheckpointDir(faulted.toString())));
        assertTrue(String.valueOf(e.getMessage()).contains("from another training run"), e.getMessage());
    }

    @Test
    void averagingParametersEveryFewStepsIsTheMeanOfTheReplicasEachTrainingAlone() {
        int every = 3;
        List<LabeledVector> rows = rows(2 * PER_TASK * STEPS, 17, -1);
        OptimizerSpec adam = Adam.adam(0.01);
        TrainingConfig config = TrainingConfig.of(MODEL, adam, 1, PER_TASK, 0.01f, 5).withShuffle(false);
        float[] local = DataParallel.fit(spark.parallelize(rows, 2), config.withSyncEvery(every)).parameters();
        float[] everyStep = DataParallel.fit(spark.parallelize(rows, 2), config).parameters();

        // The same by hand: two sessions, one per partition, averaged (parameters, both Adam
        // moments, step count) after steps 3, 6, ..., 18 and after the epoch's last, step 20.
        float[] expected;
        try (Session a = Session.create(MODEL, Backends.open("cpu"), adam, PER_TASK, 5);
             Session b = Session.create(MODEL, Backends.open("cpu"), adam, PER_TASK, 5)) {
            Session[] replicas = {a, b};
            for (int s = 0; s < STEPS; s++) {
                for (int t = 0; t < 2; t++) {
                    float[] x = new float[PER_TASK * FEATURES];
                    float[] y = new float[PER_TASK];
                    for (int r = 0; r < PER_TASK; r++) {
                        LabeledVector v = rows.get(t * PER_TASK * STEPS + s * PER_TASK + r);
                        System.arraycopy(v.features(), 0, x, r * FEATURES, FEATURES);
                        y[r] = v.label();
                    }
                    replicas[t].loadBatch(x, y, PER_TASK);
                    replicas[t].trainBatch(PER_TASK, 0.01f, s);
                }
                if ((s + 1) % every == 0 || s == STEPS - 1) {
                    float[] p = mean(a.parameters(), b.parameters());
                    float[] m = mean(a.state(0), b.state(0));
                    float[] v = mean(a.state(1), b.state(1));
                    for (Session r : replicas) {
                        r.setParameters(p);
                        r.setState(0, m);
                        r.setState(1, v);
                    }
                }
            }
            assertEquals(STEPS, a.steps());
            expected = a.parameters();
        }
        // Averaging parameters and moments adds no rounding the hand-made average lacks: bit for bit.
        assertArrayEquals(expected, local, "syncEvery " + every + " against the replicas averaged by hand");
        double err = relativeL2(local, expected);
        double drift = relativeL2(local, everyStep);
        System.out.println("[spark] " + spark.master() + " syncEvery " + every + ": Adam, 2 tasks x " + PER_TASK
                + ", relative L2 to the replicas averaged by hand " + err + ", to gradient averaging every step " + drift);
        assertTrue(err <= SAME_TRAINING, "relative L2 " + err + " > " + SAME_TRAINING);
        // Local steps between averages are another computation than one process's global batch.
        assertTrue(drift > 100 * SAME_TRAINING, "syncEvery " + every + " trained what syncEvery 1 trains: " + drift);
    }

    @Test
    void syncEveryMustBePositive() {
        TrainingConfig config = TrainingConfig.of(MODEL, Adam.adam(0.01), 1, PER_TASK, 0.01f, 5);
        Exception e = assertThrows(IllegalArgumentException.class, () -> config.withSyncEvery(0));
        assertTrue(e.getMessage().contains("syncEvery") && e.getMessage().contains("0"), e.getMessage());
    }

    private static float[] mean(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) (((double) a[i] + b[i]) / 2);
        }
        return out;
    }

    /**
     * Trains both ways and compares; poisonStep >= 0 puts a huge feature into the second task's
     * rows of that step, so its gradient's norm overflows there only (in one process, in that
     * step's batch).
     */
    private float[] compare(OptimizerSpec optimizer, StepGuard guard, int poisonStep, String exchange) {
        List<LabeledVector> rows = rows(2 * PER_TASK * STEPS, 11, poisonStep);
        TrainingConfig config = TrainingConfig.of(MODEL, optimizer, 1, PER_TASK, 0.05f, 5).withShuffle(false)
                .withClipping(guard.maxNorm(), 0).withExchange(exchange);
        float[] distributed = DataParallel.fit(spark.parallelize(rows, 2), config).parameters();
        float[] single;
        float badSteps;
        try (Session one = Session.create(MODEL, Backends.open("cpu"), optimizer, 2 * PER_TASK, 5)) {
            one.setGuard(guard);
            int half = PER_TASK * STEPS;
            for (int s = 0; s < STEPS; s++) {
                float[] x = new float[2 * PER_TASK * FEATURES];
                float[] y = new float[2 * PER_TASK];
                for (int r = 0; r < 2 * PER_TASK; r++) {
                    // The first task's 32 rows of step s, then the second task's.
                    LabeledVector v = rows.get(r < PER_TASK ? s * PER_TASK + r : half + s * PER_TASK + r - PER_TASK);
                    System.arraycopy(v.features(), 0, x, r * FEATURES, FEATURES);
                    y[r] = v.label();
                }
                one.loadBatch(x, y, 2 * PER_TASK);
                one.forward(2 * PER_TASK);
                one.backward(2 * PER_TASK);
                one.step(0.05f, s, 2 * PER_TASK);
            }
            single = one.parameters();
            badSteps = one.control()[Control.BAD_TOTAL];
        }
        assertEquals(poisonStep >= 0 ? 1f : 0f, badSteps, "bad steps in one process");
        double err = relativeL2(distributed, single);
        System.out.println("[spark] " + spark.master() + " " + exchange + ": " + optimizer.name() + (guard.clipsNorm() ? " clipped" : "")
                + (poisonStep >= 0 ? " with an overflowing step" : "") + ": 2 tasks x " + PER_TASK
                + " vs 1 process x " + 2 * PER_TASK + " after " + STEPS + " steps, relative L2 " + err);
        assertTrue(err <= SAME_TRAINING, "relative L2 " + err + " > " + SAME_TRAINING);
        return distributed;
    }

    private static List<LabeledVector> rows(int n, long seed, int poisonStep) {
        Random r = new Random(seed);
        List<LabeledVector> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] x = new float[FEATURES];
            int label = r.nextInt(CLASSES);
            for (int f = 0; f < FEATURES; f++) {
                x[f] = (float) r.nextGaussian() + (f % CLASSES == label ? 1.5f : 0f);
            }
            out.add(new LabeledVector(x, label));
        }
        if (poisonStep >= 0) {
            // The second task's rows of that step (its partition starts at n / 2): logits near
            // 1e30, so every misclassified row's gradient is too, and its squared norm overflows.
            for (int k = 0; k < PER_TASK; k++) {
                out.get(n / 2 + poisonStep * PER_TASK + k).features()[0] = 1e30f;
            }
        }
        return out;
    }

    private static double relativeL2(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double d = 0, norm = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.isFinite(a[i]), "parameter " + i + " is " + a[i]);
            d += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            norm += (double) b[i] * b[i];
        }
        return Math.sqrt(d / norm);
    }
}
