package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.descent.verify.TrainingParity.SMALL_MODEL;
import static dev.descent.verify.TrainingParity.threeClassProblem;

import dev.descent.Backend;
import dev.descent.DeviceDataset;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.StepGuard;
import dev.descent.Trainer;
import dev.descent.data.Dataset;
import dev.descent.optim.Adagrad;
import dev.descent.optim.Adam;
import dev.descent.optim.NAdam;
import dev.descent.optim.OptimizerSpec;
import dev.descent.optim.RAdam;
import dev.descent.optim.Sgd;
import java.util.Arrays;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import jcuda.CudaException;
import jcuda.driver.CUDA_KERNEL_NODE_PARAMS;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUgraphNode;
import jcuda.driver.CUstream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * CUDA Graphs ({@link StepGraphs}) through JCuda: the whole backend contract with graphs on
 * (every training step the suites take is built once per shape, then replayed), and checks that
 * a graph-built run gives the bits of a direct run whatever happens inside a step. Runs on the
 * emulated driver ({@link StepGraphsTest}) and on a GPU ({@link StepGraphsGpuTest}), where
 * cuBLAS calls become captured child graphs.
 */
abstract class StepGraphsSuite extends CudaSuite {

    /** The device under test, with graphs built through {@code graphs}, or without graphs when null. */
    protected abstract CudaDevice openDevice(GraphDriver graphs);

    /** The device under test, with or without graphs. */
    protected final CudaDevice openDevice(boolean graphs) {
        return openDevice(graphs ? new GraphDriver() : null);
    }

    @Override
    protected CudaDevice openDevice() {
        return openDevice(true);
    }

    /** 96 rows in batches of 20: four full batches and a ragged one of 16, so two graphs. */
    static final int BATCH = 20;
    private static final int EPOCHS = 3;
    private static final int STEPS = EPOCHS * 5;

    /**
     * Rules whose update kernels take arguments that change every step (Adam's and NAdam's step
     * count through the control block, RAdam's rectification, Adagrad's decayed rate), with
     * clipping, a cosine schedule (lr changes every step) and shuffling: every replay updates
     * some nodes, and the result must be bit for bit the direct run's.
     */
    @Test
    @Order(7)
    void trainingWithGraphsGivesTheBitsOfTrainingWithout() {
        OptimizerSpec[] rules = {Sgd.builder().lr(0.05).momentum(0.9).nesterov(true).weightDecay(1e-3).build(),
                Adam.adam(0.01).withAmsgrad(true), NAdam.of(0.01), RAdam.of(0.01), Adagrad.of(0.05)};
        for (OptimizerSpec rule : rules) {
            float[] direct = train(null, rule).bits;
            Outcome graphed = train(new GraphDriver(), rule);
            long[] counts = graphed.counts;
            assertArrayEquals(direct, graphed.bits, rule + ": parameters and state, graphs against direct launches");
            assertEquals(2, counts[0], rule + ": graphs built (one per batch shape)");
            assertEquals(STEPS - 2, counts[1], rule + ": steps replayed");
            assertEquals(0, counts[2], rule + ": divergences");
            assertTrue(counts[3] >= STEPS - 2, rule + ": node updates " + counts[3]);
        }
        System.out.printf("[graphs] %d rules x %d steps: graph-built training bit-identical to direct launches%n",
                rules.length, STEPS);
        count(rules.length);
    }

    private Outcome train(GraphDriver graphs, OptimizerSpec rule) {
        return run(graphs, rule, (s, d) ->
                new Trainer(s, new Trainer.Config(EPOCHS, BATCH, 9, Schedule.cosine(0.1), true)).fit(d, null, null));
    }

    /**
     * A run's parameters and optimizer state, one after the other; with graphs, its counts (built,
     * replayed, diverged, node updates, refused) and the summary {@code train} prints.
     */
    static final class Outcome {
        float[] bits;
        long[] counts;
        String summary;
    }

    /** A session on a graph-built ({@code graphs} not null) or direct backend, after {@code script}. */
    Outcome run(GraphDriver graphs, OptimizerSpec rule, BiConsumer<Session, DeviceDataset> script) {
        Dataset data = threeClassProblem();
        Outcome out = new Outcome();
        try (CudaBackend cuda = new CudaBackend(openDevice(graphs));
             Session s = Session.create(SMALL_MODEL, cuda, rule, 32, 4);
             DeviceDataset d = s.upload(data)) {
            s.setGuard(new StepGuard(1.5, 0, StepGuard.DEFAULT_MAX_BAD_STEPS));
            script.accept(s, d);
            if (graphs != null) {
                StepGraphs g = cuda.device().graphs();
                out.counts = new long[] {g.built(), g.replayed(), g.diverged(), g.nodeUpdates(), g.refused()};
                out.summary = cuda.repeatedSteps();
            }
            float[] p = s.parameters();
            out.bits = Arrays.copyOf(p, p.length * (1 + rule.stateCount()));
            for (int i = 0; i < rule.stateCount(); i++) {
                System.arraycopy(s.state(i), 0, out.bits, p.length * (i + 1), p.length);
            }
            return out;
        }
    }

    /** Runs the same script on both kinds of backend and checks the bits; returns the graph counts. */
    private long[] sameBits(String what, BiConsumer<Session, DeviceDataset> script) {
        OptimizerSpec rule = Adam.adam(0.01);
        float[] direct = run(null, rule, script).bits;
        Outcome graphed = run(new GraphDriver(), rule, script);
        assertArrayEquals(direct, graphed.bits, what + ": graphs against direct launches");
        assertEquals(0, graphed.counts[4], what + ": graph calls the driver refused");
        return graphed.counts;
    }

    /** One bracketed step whose middle is {@code inside} (given the session), as Session.trainBatch brackets it. */
    static void step(Session s, DeviceDataset d, int from, long index, Consumer<Session> inside) {
        Backend b = s.backend();
        b.beginRepeatedStep(BATCH);
        boolean completed = false;
        try {
            s.gatherBatch(d, from, BATCH);
            s.forward(BATCH);
            inside.accept(s);
            s.backward(BATCH);
            s.step(0.01f, index, BATCH);
            completed = true;
        } finally {
            b.endRepeatedStep(completed);
        }
    }

    /**
     * A loop of one's own: {@code loadBatch} (an upload, before the step) then
     * {@code trainBatch(rows, lr, index)}, which is bracketed without a gather: one graph, every
     * later step replayed, the bits of direct launches.
     */
    @Test
    @Order(7)
    void loadBatchThenTrainBatchIsReplayedToo() {
        Dataset data = threeClassProblem();
        long[] counts = sameBits("loadBatch + trainBatch", (s, d) -> {
            int width = data.cols();
            for (int i = 0; i < 6; i++) {
                int from = (i % 4) * BATCH;
                float[] x = Arrays.copyOfRange(data.features(), from * width, (from + BATCH) * width);
                float[] y = Arrays.copyOfRange(data.targets(), from, from + BATCH);
                s.loadBatch(x, y, BATCH);
                s.trainBatch(BATCH, 0.01f, i);
            }
        });
        assertEquals(1, counts[0], "built");
        assertEquals(5, counts[1], "replayed");
        assertEquals(0, counts[2], "divergences");
        count(3);
    }

    /**
     * A host read in the middle of a replayed step: the work before it must have run when it
     * reads (it sees the forward pass's output), the rest runs directly, and the shape's graph
     * is rebuilt at its next step.
     */
    @Test
    @Order(7)
    void aHostReadInsideAStepRunsThatStepDirectly() {
        float[][] seen = new float[2][];
        long[] counts = sameBits("a download inside a step", (s, d) -> {
            for (int i = 0; i < 3; i++) {
                s.trainBatch(d, i * BATCH, BATCH, 0.01f, i);
            }
            step(s, d, 3 * BATCH, 3, in -> seen[seen[0] == null ? 0 : 1] = in.predict(new float[6], 1));
            s.trainBatch(d, 0, BATCH, 0.01f, 4);
            s.trainBatch(d, BATCH, BATCH, 0.01f, 5);
        });
        assertArrayEquals(seen[0], seen[1], "what predict saw inside the step, direct and graph-built");
        assertEquals(2, counts[0], "built: before the read and after it");
        assertEquals(1, counts[2], "divergences");
        assertEquals(2 + 1, counts[1], "replayed: two before the read, one after the rebuild");
        count(3);
    }

    /**
     * A step of the same shape with other work (no update): it diverges where the sequence
     * differs, runs directly with the right result, and after {@link StepGraphs#MAX_DIVERGENCES}
     * the shape is run directly for good.
     */
    @Test
    @Order(7)
    void aStepThatDiffersFromItsGraphRunsDirectlyAndTheShapeIsEventuallyLeftDirect() {
        long[] counts = sameBits("steps that differ", (s, d) -> {
            for (int i = 0; i < 8; i++) {
                s.trainBatch(d, 0, BATCH, 0.01f, i);
                Backend b = s.backend();
                b.beginRepeatedStep(BATCH);
                try {
                    s.gatherBatch(d, BATCH, BATCH);
                    s.forward(BATCH);
                } finally {
                    b.endRepeatedStep(true);
                }
            }
        });
        assertEquals(StepGraphs.MAX_DIVERGENCES, counts[2], "divergences before the shape is left direct");
        assertEquals(StepGraphs.MAX_DIVERGENCES, counts[0], "graphs built: one before each divergence");
        assertEquals(0, counts[1], "replays: every replay diverged, then the shape ran directly");
        count(3);
    }

    /** An exception inside a step: the work before it runs, as direct launches would have run it. */
    @Test
    @Order(7)
    void anExceptionInsideAStepLeavesWhatDirectLaunchesLeave() {
        long[] counts = sameBits("an exception inside a step", (s, d) -> {
            // The first throws while its shape's graph is being built, the later ones while it
            // is replayed.
            for (int i = 0; i < 4; i++) {
                assertThrows(IllegalArgumentException.class,
                        () -> step(s, d, BATCH, 0, in -> in.forward(1000)), "rows beyond maxBatch");
                s.trainBatch(d, 0, BATCH, 0.01f, i);
            }
        });
        assertEquals(0, counts[2], "an exception is not a divergence");
        assertEquals(1, counts[0], "built: by the first step that completed");
        assertEquals(3, counts[1], "replayed");
        count(3);
    }

    /**
     * A device copy inside a step is foreign work, captured into a child graph node: replayed
     * while its signature stays the same, and a different copy diverges. The copies' results are
     * compared too.
     */
    @Test
    @Order(7)
    void aDeviceCopyInsideAStepIsACapturedChildGraph() {
        float[] source = new float[16];
        for (int i = 0; i < 16; i++) {
            source[i] = i + 0.5f;
        }
        float[][] copied = new float[2][];
        long[] counts = sameBits("a device copy inside a step", (s, d) -> {
            Backend b = s.backend();
            dev.descent.Buf scratch = b.allocate(64);
            try {
                b.upload(source, 0, scratch, 0, 16);
                for (int i = 0; i < 6; i++) {
                    int to = i < 5 ? 32 : 40;  // the sixth copy writes elsewhere
                    step(s, d, 0, i, in -> b.copy(scratch, 0, scratch, to, 16));
                }
                float[] back = new float[64];
                b.download(scratch, 0, back, 0, 64);
                copied[copied[0] == null ? 0 : 1] = back;
            } finally {
                b.free(scratch);
            }
        });
        assertArrayEquals(copied[0], copied[1], "the copies' results, direct and graph-built");
        assertEquals(source[7], copied[1][32 + 7], "the replayed copy ran (the sixth overwrote from 40 on)");
        assertEquals(source[15], copied[1][40 + 15], "the diverging copy ran");
        assertEquals(1, counts[0], "built");
        assertEquals(4, counts[1], "replayed with the same copy");
        assertEquals(1, counts[2], "a different copy diverges");
        count(4);
    }

    /**
     * A graph call the driver refuses, each in turn and from its first call on, costs the graph,
     * never the step: the work recorded so far is issued directly, the shape runs directly for
     * good, the run gives the direct run's bits, and the summary {@code train} prints names the
     * refusal. The script's steps hold a device copy (foreign work: captured into a child graph),
     * so capture and child nodes are refused too.
     */
    @Test
    @Order(7)
    void aGraphCallTheDriverRefusesCostsTheGraphNotTheStep() {
        float[] source = new float[16];
        Arrays.fill(source, 0.25f);
        BiConsumer<Session, DeviceDataset> script = fourStepsWithACopy(source);
        OptimizerSpec rule = Adam.adam(0.01);
        float[] direct = run(null, rule, script).bits;
        String[] calls = {"create", "addKernelNode", "beginCapture", "addChildGraphNode", "instantiate", "launch",
            "setKernelNodeParams"};
        for (String call : calls) {
            Outcome refused = run(refusing(call), rule, script);
            assertArrayEquals(direct, refused.bits, call + " refused: graphs against direct launches");
            boolean buildsFirst = call.equals("setKernelNodeParams");  // refused at the first replay
            assertEquals(buildsFirst ? 1 : 0, refused.counts[0], call + " refused: graphs built");
            assertEquals(0, refused.counts[1], call + " refused: steps replayed");
            assertEquals(0, refused.counts[2], call + " refused: a refusal is not a divergence");
            assertEquals(1, refused.counts[4], call + " refused: refusals (the one shape then runs directly)");
            assertTrue(refused.summary.contains("the driver refused 1 graph call(s)")
                    && refused.summary.contains(call + " refused by the test"), refused.summary);
        }
        System.out.printf("[graphs] %d graph calls refused in turn: each run bit-identical to direct launches%n",
                calls.length);
        count(calls.length * 6);
    }

    /**
     * Four bracketed steps over the data set's first 80 rows, each with a device copy of
     * {@code source} inside (foreign work: a captured child graph when graphs are on).
     */
    static BiConsumer<Session, DeviceDataset> fourStepsWithACopy(float[] source) {
        return (s, d) -> {
            Backend b = s.backend();
            dev.descent.Buf scratch = b.allocate(64);
            try {
                b.upload(source, 0, scratch, 0, 16);
                for (int i = 0; i < 4; i++) {
                    step(s, d, i * BATCH, i, in -> b.copy(scratch, 0, scratch, 32, 16));
                }
            } finally {
                b.free(scratch);
            }
        };
    }

    /** A driver that refuses {@code call} every time, as a driver may refuse a graph call. */
    private static GraphDriver refusing(String call) {
        return new GraphDriver() {
            private void check(String name) {
                if (name.equals(call)) {
                    throw new CudaException("CUDA_ERROR_NOT_SUPPORTED: " + name + " refused by the test");
                }
            }

            @Override
            void create(CUgraph graph) {
                check("create");
                super.create(graph);
            }

            @Override
            void addKernelNode(CUgraphNode node, CUgraph graph, CUgraphNode[] dependencies, long count,
                               CUDA_KERNEL_NODE_PARAMS params) {
                check("addKernelNode");
                super.addKernelNode(node, graph, dependencies, count, params);
            }

            @Override
            void addChildGraphNode(CUgraphNode node, CUgraph graph, CUgraphNode[] dependencies, long count,
                                   CUgraph child) {
                check("addChildGraphNode");
                super.addChildGraphNode(node, graph, dependencies, count, child);
            }

            @Override
            void instantiate(CUgraphExec exec, CUgraph graph) {
                check("instantiate");
                super.instantiate(exec, graph);
            }

            @Override
            void setKernelNodeParams(CUgraphExec exec, CUgraphNode node, CUDA_KERNEL_NODE_PARAMS params) {
                check("setKernelNodeParams");
                super.setKernelNodeParams(exec, node, params);
            }

            @Override
            void launch(CUgraphExec exec, CUstream stream) {
                check("launch");
                super.launch(exec, stream);
            }

            @Override
            void beginCapture(CUstream stream) {
                check("beginCapture");
                super.beginCapture(stream);
            }
        };
    }
}
