package dev.descent.cuda;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jcuda.CudaException;
import jcuda.driver.CUDA_KERNEL_NODE_PARAMS;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUgraphNode;
import jcuda.driver.CUstream;

/**
 * Training steps as CUDA Graphs ({@code -Ddescent.cuda.graphs=true}; off by default until a GPU
 * has confirmed them). A step issues the same ~25 launches with the same grids every time; only
 * a few scalars change (the batch's offset into the shuffle, the step's index, lr). The first
 * step of each shape is built into a graph, node by node, instantiated and launched; each later
 * step of that shape compares every launch with its node, updates only the nodes whose
 * arguments changed ({@code cuGraphExecKernelNodeSetParams}) and ends with one
 * {@code cuGraphLaunch}. Nothing is allocated on a replayed step.
 *
 * <p>Built, not stream-captured: JCuda 12.6's node-list queries ({@code cuGraphGetNodes},
 * {@code cuGraphGetRootNodes}, {@code cuGraphNodeGetDependentNodes}) hand the driver an
 * uninitialised capacity, so the nodes of a captured graph cannot be listed safely, and a launch
 * could not be matched to its node. Built node by node, each node's handle is known when it is
 * added. Work that is not one of descent's kernels (a cuBLAS call, a device copy) is captured on
 * its own into a child graph node, and replayed only while its signature is unchanged.
 *
 * <p>Graphs change how work is issued, never what runs. Anything that needs the host inside a
 * step (a download, an upload, a synchronisation, an allocation), a launch that differs from its
 * node in kernel or grid, or foreign work the driver will not capture ends the graph for that
 * step: the work recorded so far is issued directly, in order, and the rest of the step runs
 * directly. The shape's graph is rebuilt at its next step, and after {@link #MAX_DIVERGENCES} it
 * runs directly for good. A graph call the driver refuses (building, capturing, instantiating,
 * updating or launching) does the same at once, and the shape runs directly for good: the
 * refusal is kept ({@link #refusal}) for the user, the step's work is not lost. A step that ends
 * by an exception leaves what direct launches would have left: its work so far, issued. The
 * thread with a step open holds {@link #lock}, which every device call takes, so other threads
 * wait for the step instead of reaching into it.
 */
final class StepGraphs implements AutoCloseable {
    /** Divergences after which a shape is no longer built into a graph. */
    static final int MAX_DIVERGENCES = 2;

    private enum Mode { OUTSIDE, BUILDING, REPLAYING, DIRECT }

    /** One node: one of descent's launches, or foreign work captured into a child graph. */
    private static final class Op {
        final CUgraphNode node = new CUgraphNode();
        final int function;  // -1 for foreign work
        final int gridX;
        final int gridY;
        final int blockX;
        final int count;
        final int[] kinds;
        final long[] values;
        final long[] signature;
        final Runnable issue;

        Op(int function, int gridX, int gridY, int blockX, int[] kinds, long[] values, int count) {
            this.function = function;
            this.gridX = gridX;
            this.gridY = gridY;
            this.blockX = blockX;
            this.count = count;
            this.kinds = Arrays.copyOf(kinds, count);
            this.values = Arrays.copyOf(values, count);
            this.signature = null;
            this.issue = null;
        }

        Op(long[] signature, Runnable issue) {
            this.function = -1;
            this.gridX = 0;
            this.gridY = 0;
            this.blockX = 0;
            this.count = 0;
            this.kinds = null;
            this.values = null;
            this.signature = signature;
            this.issue = issue;
        }

        boolean sameLaunch(int f, int gx, int gy, int bx, int[] k, int n) {
            return function == f && gridX == gx && gridY == gy && blockX == bx && count == n
                    && Arrays.equals(kinds, 0, n, k, 0, n);
        }
    }

    /** A shape's graph, or only its divergence count once the graph is dropped. */
    private static final class Shape {
        final int key;
        int divergences;
        CUgraph graph;
        CUgraphExec exec;
        final List<Op> ops = new ArrayList<>();

        Shape(int key) {
            this.key = key;
        }
    }

    private final JCudaDevice device;
    private final CUstream stream;
    private final GraphDriver driver;
    /**
     * Held by the thread with a step open, from {@link #begin} to {@link #end}; the device's
     * entry points take it too (JCudaDevice.enter), so other threads wait for the step.
     */
    final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private final List<Shape> shapes = new ArrayList<>();
    private final CUDA_KERNEL_NODE_PARAMS params = new CUDA_KERNEL_NODE_PARAMS();
    private final CUgraphNode[] previous = new CUgraphNode[1];
    private Mode mode = Mode.OUTSIDE;
    private Shape current;
    private int cursor;

    private long built;
    private long replayed;
    private long diverged;
    private long nodeUpdates;
    private long refused;
    private String refusal;

    StepGraphs(JCudaDevice device, CUstream stream, GraphDriver driver) {
        this.device = device;
        this.stream = stream;
        this.driver = driver;
    }

    /**
     * Opens a step: replays the shape's graph, builds it, or (after too many divergences) runs
     * the step directly.
     *
     * @param key what fixes the step's launches and grids (the batch's rows)
     */
    void begin(int key) {
        lock.lock();
        if (mode != Mode.OUTSIDE) {
            lock.unlock();
            throw new IllegalStateException("a repeated step is already open (endRepeatedStep was not called)");
        }
        current = shape(key);
        cursor = 0;
        if (current.exec != null) {
            mode = Mode.REPLAYING;
        } else if (current.divergences >= MAX_DIVERGENCES) {
            mode = Mode.DIRECT;
        } else {
            current.ops.clear();
            mode = Mode.BUILDING;
            CUgraph graph = new CUgraph();
            try {
                driver.create(graph);
                current.graph = graph;
            } catch (CudaException e) {
                refuse(e);
            }
        }
    }

    private Shape shape(int key) {
        for (int i = 0; i < shapes.size(); i++) {  // a handful of shapes; no iterator, no boxing
            if (shapes.get(i).key == key) {
                return shapes.get(i);
            }
        }
        Shape s = new Shape(key);
        shapes.add(s);
        return s;
    }

    /**
     * Whether the calling thread has a step open (work is being built or replayed, or runs
     * directly inside one).
     */
    boolean inStep() {
        return mode != Mode.OUTSIDE && lock.isHeldByCurrentThread();
    }

    /** Whether the open step is being built: foreign work goes to {@link #addForeign}. */
    boolean building() {
        return mode == Mode.BUILDING;
    }

    /**
     * Takes one of descent's launches, its pointer arguments already resolved to addresses.
     *
     * @return true when the graph holds it (built or replayed); false: launch it now
     */
    boolean launch(int function, int gridX, int gridY, int blockX, int[] kinds, long[] values, int count) {
        if (mode == Mode.BUILDING) {
            Op op = new Op(function, gridX, gridY, blockX, kinds, values, count);
            try {
                driver.addKernelNode(op.node, current.graph, dependencies(), dependencyCount(), nodeParams(op));
            } catch (CudaException e) {
                refuse(e);
                return false;
            }
            current.ops.add(op);
            return true;
        }
        if (mode != Mode.REPLAYING) {
            return false;
        }
        Op op = cursor < current.ops.size() ? current.ops.get(cursor) : null;
        if (op == null || !op.sameLaunch(function, gridX, gridY, blockX, kinds, count)) {
            diverge();
            return false;
        }
        if (!Arrays.equals(op.values, 0, count, values, 0, count)) {
            System.arraycopy(values, 0, op.values, 0, count);
            try {
                driver.setKernelNodeParams(current.exec, op.node, nodeParams(op));
            } catch (CudaException e) {
                refuse(e);  // issues the nodes before this one; this one is the caller's to launch
                return false;
            }
            nodeUpdates++;
        }
        cursor++;
        return true;
    }

    /**
     * Adds foreign work to the step being built: {@code issue} is captured on the stream into a
     * child graph, not run now. {@code issue} must enqueue its work on the device's stream and
     * must still be valid when a divergence issues it directly later. Work the driver will not
     * capture (the capture is invalidated, or {@code issue} fails while capturing) ends the graph
     * for this step and is issued directly, so a library that cannot be captured costs the graph,
     * not the step.
     *
     * @param signature everything that determines the work (kind, sizes, addresses, scalars)
     * @param issue enqueues the work
     */
    void addForeign(long[] signature, Runnable issue) {
        CUgraph child = captureAlone(issue);
        if (child == null) {
            if (mode == Mode.BUILDING) {  // else the driver refused to capture at all
                diverge();
            }
            issue.run();
            return;
        }
        Op op = new Op(signature, issue);
        try {
            driver.addChildGraphNode(op.node, current.graph, dependencies(), dependencyCount(), child);
        } catch (CudaException e) {
            refuse(e);
            issue.run();
            return;
        } finally {
            cuGraphDestroy(child);  // the node holds its own copy
        }
        current.ops.add(op);
    }

    /** {@code issue}'s work captured into a graph of its own, or null when it could not be. */
    private CUgraph captureAlone(Runnable issue) {
        CUgraph child = new CUgraph();
        try {
            driver.beginCapture(stream);
        } catch (CudaException e) {
            refuse(e);
            return null;
        }
        boolean issued = false;
        try {
            issue.run();
            issued = true;
        } catch (RuntimeException e) {
            // refused during capture (or failing anyway: then it fails again when issued directly)
        }
        try {
            driver.endCapture(stream, child);
        } catch (CudaException e) {
            return null;  // the capture was invalidated
        }
        if (!issued) {
            cuGraphDestroy(child);
            return null;
        }
        return child;
    }

    /**
     * In a replayed step: whether foreign work with this signature is the graph's next node (then
     * it must not be issued). A different signature ends the graph for this step.
     *
     * @param signature as {@link #addForeign} was given it
     * @return true when the graph holds the work; false: issue it now
     */
    boolean replayed(long[] signature) {
        if (mode != Mode.REPLAYING) {
            return false;
        }
        Op op = cursor < current.ops.size() ? current.ops.get(cursor) : null;
        if (op == null || op.signature == null || !Arrays.equals(op.signature, signature)) {
            diverge();
            return false;
        }
        cursor++;
        return true;
    }

    /**
     * Called before anything that needs the host or the device's memory as it is now: the step's
     * work so far is issued directly, and the rest of the step runs directly.
     */
    void interrupt() {
        if (mode == Mode.BUILDING || mode == Mode.REPLAYING) {
            diverge();
        }
    }

    /**
     * Closes the step: launches the graph (built or replayed) or, when the step ended early or
     * by an exception, issues its work so far directly, as direct launches would have left it.
     *
     * @param completed false when the step ended by an exception
     */
    void end(boolean completed) {
        try {
            if (mode == Mode.BUILDING && completed && !current.ops.isEmpty()) {
                launchGraph(true);
            } else if (mode == Mode.REPLAYING && completed && cursor == current.ops.size()) {
                launchGraph(false);
            } else if (mode == Mode.REPLAYING && !completed) {
                issueDirectly(cursor);  // the graph itself still stands for the shape's next step
            } else if (mode == Mode.BUILDING && !completed) {
                goDirect();  // an exception is not a divergence: no count, rebuilt next time
            } else if (mode == Mode.BUILDING && completed) {
                drop(current);  // an empty step: nothing to build or run
            } else if (mode == Mode.BUILDING || mode == Mode.REPLAYING) {
                diverge();
            }
        } finally {
            mode = Mode.OUTSIDE;
            current = null;
            lock.unlock();
        }
    }

    /** Launches the step's graph, instantiated first when it was just built. */
    private void launchGraph(boolean instantiate) {
        try {
            if (instantiate) {
                CUgraphExec exec = new CUgraphExec();
                driver.instantiate(exec, current.graph);
                current.exec = exec;
            }
            driver.launch(current.exec, stream);
        } catch (CudaException e) {
            refuse(e);  // nothing of the step ran yet: all of it is issued directly
            return;
        }
        if (instantiate) {
            built++;
        } else {
            replayed++;
        }
    }

    /**
     * The driver refused a graph call: the step's work so far is issued directly, the shape's
     * graph is dropped, and the shape runs directly from now on (a refusal would come again).
     * The first refusal's message is kept for {@link #refusal}.
     */
    private void refuse(CudaException e) {
        if (refusal == null) {
            refusal = e.getMessage();
        }
        refused++;
        current.divergences = MAX_DIVERGENCES;
        goDirect();
    }

    /** Issues the step's work so far directly, drops the shape's graph, runs the rest directly. */
    private void diverge() {
        current.divergences++;
        diverged++;
        goDirect();
    }

    /**
     * The step runs directly from here: its recorded work is issued, then the graph dropped. The
     * mode changes first, so that if issuing fails, the step's end does not issue it again.
     */
    private void goDirect() {
        int recorded = mode == Mode.BUILDING ? current.ops.size() : cursor;
        mode = Mode.DIRECT;
        try {
            issueDirectly(recorded);
        } finally {
            drop(current);
        }
    }

    private void issueDirectly(int ops) {
        for (int i = 0; i < ops; i++) {
            Op op = current.ops.get(i);
            if (op.issue != null) {
                op.issue.run();
            } else {
                device.launchNow(op.function, op.gridX, op.gridY, op.blockX, op.kinds, op.values, op.count);
            }
        }
    }

    private CUDA_KERNEL_NODE_PARAMS nodeParams(Op op) {
        params.func = device.cuFunction(op.function);
        params.gridDimX = op.gridX;
        params.gridDimY = op.gridY;
        params.gridDimZ = 1;
        params.blockDimX = op.blockX;
        params.blockDimY = 1;
        params.blockDimZ = 1;
        params.sharedMemBytes = 0;
        params.kernelParams = device.pack(op.kinds, op.values, op.count);
        params.extra = null;
        return params;
    }

    /** The node the next one depends on: the step's last node (the graph is a chain). */
    private CUgraphNode[] dependencies() {
        if (current.ops.isEmpty()) {
            return null;
        }
        previous[0] = current.ops.get(current.ops.size() - 1).node;
        return previous;
    }

    private long dependencyCount() {
        return current.ops.isEmpty() ? 0 : 1;
    }

    private static void drop(Shape s) {
        if (s.exec != null) {
            cuGraphExecDestroy(s.exec);
            s.exec = null;
        }
        if (s.graph != null) {
            cuGraphDestroy(s.graph);
            s.graph = null;
        }
        s.ops.clear();
    }

    /** Graphs built so far (this and the three below are for tests). */
    long built() {
        return built;
    }

    long replayed() {
        return replayed;
    }

    long diverged() {
        return diverged;
    }

    long nodeUpdates() {
        return nodeUpdates;
    }

    /**
     * The counts for a person: "cuda graphs: 2 built, 1498 steps replayed, 0 divergences", and
     * the first refusal, when the driver refused a graph call, with what it means.
     */
    String summary() {
        String s = "cuda graphs: " + built + " built, " + replayed + " steps replayed, " + diverged + " divergences";
        return refusal == null ? s
                : s + "; the driver refused " + refused + " graph call(s), so steps of those shapes ran directly: " + refusal;
    }

    /** Graph calls the driver refused. */
    long refused() {
        return refused;
    }

    /** The first graph call the driver refused, as JCuda reported it; null when none was. */
    String refusal() {
        return refusal;
    }

    @Override
    public void close() {
        for (Shape s : shapes) {
            drop(s);
        }
        shapes.clear();
    }
}
