package dev.descent.opencl;

import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.exception.CompileFailedException;
import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.Buf;
import dev.descent.Control;
import dev.descent.Loss;
import dev.descent.StepGuard;
import dev.descent.optim.OptimizerSpec;

/**
 * The OpenCL backend on any device Aparapi can reach (GPUs, or CPUs through PoCL). All buffers
 * are offsets into one float heap owned by one {@link ArenaKernel} in explicit buffer mode, so
 * parameters, gradients, state, workspace and data stay on the device between launches. The
 * host keeps a mirror of the heap that is synchronized lazily: uploads during setup reach the
 * device in one transfer before the next launch, and a training step transfers nothing. A
 * launch that Aparapi would run on its Java thread pool instead of OpenCL is an error.
 */
public final class OpenClBackend extends dev.descent.BackendBase {
    /**
     * Aparapi keeps per-thread execution state in its kernel runner: a kernel launched from a
     * second thread failed inside Aparapi (and crashed PoCL before the backend was locked), so
     * the backend is confined to the thread that opened it, and says so.
     */
    private final Thread owner = Thread.currentThread();

    private void checkUse() {
        life.check();
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("the opencl backend was opened on thread '" + owner.getName()
                    + "' and cannot be used from thread '" + Thread.currentThread().getName()
                    + "' (Aparapi's kernel state is per thread): open one OpenCL backend per thread");
        }
    }

    @Override
    public void ensureOpen() {
        checkUse();
    }


    static final class ClBuf implements Buf {
        final int offset;
        final int length;

        ClBuf(int offset, int length) {
            this.offset = offset;
            this.length = length;
        }

        @Override
        public int length() {
            return length;
        }
    }

    /**
     * On CPU devices each work-item loops over up to 256 consecutive elements (LLVM vectorizes
     * that loop) in groups of 16 work-items, so 2^16 elements still make 16 groups to spread
     * over the cores. GPUs keep one element per work-item.
     */
    static final int CPU_SPAN = 256;
    static final int CPU_SPAN_GROUP = 16;

    private final OpenCLDevice device;
    private final ArenaKernel k = new ArenaKernel();
    private final OpenClHeap heap;
    private final RangeCache ranges;
    private final OpenClUpdates updates;
    private final int partial;
    /** Scratch for step(): the state offsets, reused so a step allocates nothing. */
    private final int[] stateOffsets = new int[3];
    /** Element-wise launches: elements per work-item and work-items per group (see ArenaKernel). */
    private final int maxSpan;
    private final boolean cpuGeometry;
    private final int spanGroup;
    /** Work-items that give every compute unit four groups: spans shrink to reach it. */
    private final long enoughItems;
    /** The host mirror has writes the device lacks / the device has writes the mirror lacks. */
    private boolean hostNewer = true;
    private boolean deviceNewer;
    /** The NT GEMM's transposed B on CPU devices (see transposeToScratch). */
    private int scratch;
    private int scratchLength;
    /** Whole-heap copies between the host mirror and the device, and kernel launches (for tests). */
    long transfers;
    long launches;
    /** The heap array's least length: large enough that the collector never moves it ({@link ImmovableHeap}). */
    private final int immovableFloats;

    /**
     * A backend on {@code device}: compiles the kernel there and allocates its heap.
     *
     * @param device an OpenCL device from {@link OpenClDevices#list()}
     * @throws IllegalStateException when the kernel does not build on the device
     */
    public OpenClBackend(OpenCLDevice device) {
        this(device, device.getType() == com.aparapi.device.Device.TYPE.CPU);
    }

    /**
     * A backend on {@code device} with the work geometry chosen explicitly. {@code cpu} false is
     * the GPU geometry (one element per work-item, the 16x16 tiled GEMM) and true the CPU one
     * (spans of 256 elements, the row GEMM). Tests run the GPU geometry on PoCL, so its code
     * paths run in CI without a GPU.
     */
    OpenClBackend(OpenCLDevice device, boolean cpu) {
        super("opencl", true);
        String collector = ImmovableHeap.collectorProblem();
        if (collector != null) {
            throw new IllegalStateException("OpenCL: " + collector);
        }
        this.device = device;
        this.heap = new OpenClHeap(device.getMaxMemAllocSize());
        this.ranges = new RangeCache(device);
        this.cpuGeometry = cpu;
        maxSpan = cpu ? CPU_SPAN : 1;
        spanGroup = cpu ? CPU_SPAN_GROUP : ArenaKernel.GROUP;
        enoughItems = (long) device.getMaxComputeUnits() * 4 * spanGroup;
        k.setExplicit(true);
        // Never moved by the collector, so Aparapi's binding of it stays valid between launches.
        long deviceFloats = device.getMaxMemAllocSize() > 0 ? device.getMaxMemAllocSize() / Float.BYTES : Integer.MAX_VALUE;
        immovableFloats = (int) Math.min(ImmovableHeap.minimumFloats(), Math.min(deviceFloats, Integer.MAX_VALUE - 8));
        k.mem = new float[immovableFloats];
        try {
            k.compile(device);
        } catch (CompileFailedException | RuntimeException e) {
            throw new IllegalStateException("OpenCL: the kernel does not compile on " + device.getName() + ": "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") , e);
        }
        partial = allocateOffset(2 * ArenaKernel.REDUCE_GROUPS);
        updates = new OpenClUpdates(this, k, allocateOffset(4));
    }

    /**
     * The device chosen by {@link OpenClDevices#choose()}.
     *
     * @return the backend
     */
    public static OpenClBackend open() {
        return new OpenClBackend(OpenClDevices.choose());
    }

    /**
     * The device {@code device} names.
     *
     * @param device an index or a name substring; null: the first in preference order
     * @return the backend
     */
    public static OpenClBackend open(String device) {
        return new OpenClBackend(OpenClDevices.choose(device));
    }

    private static ClBuf b(Buf buf) {
        return (ClBuf) buf;
    }

    @Override
    public String name() {
        return "opencl";
    }

    /**
     * The JVM heap (which mirrors every buffer) or the single device buffer behind all of them,
     * whichever is smaller: the heap cannot grow past the device's largest allocation (a quarter of
     * its memory on NVIDIA) or 2^31 floats, and a request beyond either must be refused up front,
     * not fail inside a kernel launch.
     */
    @Override
    public long availableBytes() {
        return Math.min(super.availableBytes(), heap.roomFloats() * 4);
    }

    @Override
    public String describe() {
        boolean cpuDevice = device.getType() == com.aparapi.device.Device.TYPE.CPU;
        return OpenClDevices.describe(device) + (cpuGeometry == cpuDevice ? ""
                : cpuGeometry ? "; CPU work geometry" : "; GPU work geometry");
    }

    // ---- heap and transfers ------------------------------------------------------------------

    private int allocateOffset(int length) {
        int offset = heap.allocate(length);
        if (heap.capacity() > k.mem.length) {
            syncToHost();
            k.mem = java.util.Arrays.copyOf(k.mem, Math.max(heap.capacity(), immovableFloats));
            hostNewer = true;
        }
        fillRegion(offset, length, 0f);
        return offset;
    }

    @Override
    public Buf allocate(int length) {
        checkUse();
        return new ClBuf(allocateOffset(Math.max(1, length)), length);
    }

    @Override
    public void free(Buf buf) {
        heap.free(b(buf).offset);
    }

    private void syncToHost() {
        if (deviceNewer) {
            k.get(k.mem);
            transfers++;
            deviceNewer = false;
        }
    }

    @Override
    public void upload(float[] src, int srcOffset, Buf dst, int dstOffset, int length) {
        checkUse();
        syncToHost();
        System.arraycopy(src, srcOffset, k.mem, b(dst).offset + dstOffset, length);
        hostNewer = true;
    }

    @Override
    public void download(Buf src, int srcOffset, float[] dst, int dstOffset, int length) {
        checkUse();
        syncToHost();
        System.arraycopy(k.mem, b(src).offset + srcOffset, dst, dstOffset, length);
    }

    // ---- launches ---------------------------------------------------------------------------

    void launch(int op, Range range) {
        if (hostNewer) {
            k.put(k.mem);
            transfers++;
            hostNewer = false;
        }
        k.op = op;
        k.execute(range);
        launches++;
        if (!k.isRunningCL()) {
            throw new IllegalStateException("OpenCL: Aparapi ran op " + op + " on its Java thread pool instead of "
                    + device.getName() + "; refusing to report that as OpenCL");
        }
        deviceNewer = true;
    }


    /**
     * The range of an element-wise or update op over {@code work} elements, and its span: long
     * spans only while every compute unit still gets several groups.
     */
    Range spanRange(long work) {
        long perUnit = Math.max(1, work / enoughItems);
        int span = (int) Math.min(maxSpan, perUnit);
        k.span = span;
        return spanGroups((work + span - 1) / span);
    }

    /** {@code items} span work-items, rounded up to whole groups (at least one). */
    private Range spanGroups(long items) {
        long groups = Math.max(1, (items + spanGroup - 1) / spanGroup);
        return ranges.range((int) (groups * spanGroup), spanGroup);
    }

    /**
     * Copies {@code rows x cols} floats at {@code src} transposed into the scratch region, grown
     * (once per larger shape, so in a training loop only on its first step) to fit; returns the
     * scratch offset. CPU devices only: there the heap is host memory, so growing it is a copy.
     */
    private int transposeToScratch(int src, int rows, int cols) {
        int length = rows * cols;
        if (length > scratchLength) {
            if (scratchLength > 0) {
                heap.free(scratch);
            }
            scratch = allocateOffset(length);
            scratchLength = length;
        }
        k.transposeArgs(src, rows, cols, scratch);
        launch(ArenaKernel.TRANSPOSE, spanRange(length));
        return scratch;
    }

    /**
     * GEMM_ROWS on CPU devices: each work-item takes {@code span} columns of ROW_BLOCK rows of C;
     * span halves (down to 16) until every compute unit gets several groups.
     */
    private Range rowSpanRange(int m, int n) {
        long rowBlocks = (m + ArenaKernel.ROW_BLOCK - 1) / ArenaKernel.ROW_BLOCK;
        int span = Math.min(maxSpan, n);
        while (span > 16 && rowBlocks * ((n + span - 1) / span) < enoughItems) {
            span /= 2;
        }
        k.span = span;
        return spanGroups(rowBlocks * ((n + span - 1) / span));
    }

    /** One work-item per element, rounded up to whole work-groups (ops without a span loop). */
    Range range1d(long work) {
        long groups = Math.max(1, (work + ArenaKernel.GROUP - 1) / ArenaKernel.GROUP);
        return ranges.range((int) (groups * ArenaKernel.GROUP), ArenaKernel.GROUP);
    }

    private Range reduceRange() {
        return ranges.range(ArenaKernel.REDUCE_GROUPS * ArenaKernel.GROUP, ArenaKernel.GROUP);
    }

    @Override
    public void fill(Buf buf, int offset, int length, float value) {
        checkUse();
        fillRegion(b(buf).offset + offset, length, value);
    }

    private void fillRegion(int at, int length, float value) {
        k.fillArgs(at, length, value);
        launch(ArenaKernel.FILL, spanRange(length));
    }

    @Override
    public void copy(Buf src, int srcOffset, Buf dst, int dstOffset, int length) {
        checkUse();
        k.copyArgs(b(src).offset + srcOffset, b(dst).offset + dstOffset, length);
        launch(ArenaKernel.COPY, spanRange(length));
    }

    @Override
    public void gatherRows(Buf src, int cols, Buf index, int indexOffset, int rows, Buf dst) {
        checkUse();
        k.gatherArgs(b(src).offset, cols, b(index).offset + indexOffset, rows, b(dst).offset);
        launch(ArenaKernel.GATHER, spanRange((long) rows * cols));
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k2, float alpha, Buf a, int aOffset, Buf bb,
                     int bOffset, float beta, Buf c, int cOffset) {
        checkUse();
        if (m == 0 || n == 0) {
            return;
        }
        int t = ArenaKernel.TILE;
        int bAt = b(bb).offset + bOffset;
        boolean rowKernel = maxSpan > 1;
        if (rowKernel && transB) {
            // The row kernel wants B's rows contiguous: transpose B (n x k2) into scratch first.
            bAt = transposeToScratch(bAt, n, k2);
        }
        k.gemmArgs(transA, transB && !rowKernel, m, n, k2, b(a).offset + aOffset, bAt, b(c).offset + cOffset, alpha, beta);
        if (rowKernel) {
            launch(ArenaKernel.GEMM_ROWS, rowSpanRange(m, n));
            return;
        }
        launch(ArenaKernel.GEMM, ranges.range2d((n + t - 1) / t * t, (m + t - 1) / t * t, t));
    }

    @Override
    public void biasActivation(Activation act, int rows, int cols, Buf z, int zOffset, Buf bias, int biasOffset,
                               Buf out, int outOffset) {
        k.biasActivationArgs(act.ordinal(), rows, cols, b(z).offset + zOffset, b(bias).offset + biasOffset,
                b(out).offset + outOffset);
        launch(ArenaKernel.BIAS_ACT, spanRange((long) rows * cols));
    }

    @Override
    public void activationBackward(Activation act, int n, Buf z, int zOffset, Buf gradOut, int gradOutOffset,
                                   Buf gradZ, int gradZOffset) {
        k.activationBackwardArgs(act.ordinal(), n, b(z).offset + zOffset, b(gradOut).offset + gradOutOffset,
                b(gradZ).offset + gradZOffset);
        launch(ArenaKernel.ACT_BACK, spanRange(n));
    }

    @Override
    public void biasGradient(int rows, int cols, Buf gradZ, int gradZOffset, Buf gradBias, int gradBiasOffset) {
        k.biasGradientArgs(rows, cols, b(gradZ).offset + gradZOffset, b(gradBias).offset + gradBiasOffset);
        launch(ArenaKernel.BIAS_GRAD, range1d(cols));
    }

    @Override
    public void loss(Loss loss, int rows, int cols, Buf output, int outputOffset, Buf target, int targetOffset,
                     Buf grad, int gradOffset, Buf control, boolean evaluation) {
        k.lossArgs(rows, cols, b(output).offset + outputOffset, b(target).offset + targetOffset,
                evaluation || grad == null ? -1 : b(grad).offset + gradOffset, partial);
        launch(loss == Loss.SOFTMAX_CROSS_ENTROPY ? ArenaKernel.XENT : ArenaKernel.MSE, reduceRange());
        finish(2, control, evaluation ? Control.EVAL_LOSS_SUM : Control.BATCH_LOSS, evaluation);
    }

    @Override
    public void gradientNorm(Buf grads, int length, float clipValue, Buf control) {
        checkUse();
        k.normArgs(b(grads).offset, length, partial, clipValue);
        launch(ArenaKernel.NORM_PARTIAL, reduceRange());
        finish(1, control, Control.NORM_SQ, false);
    }

    private void finish(int series, Buf control, int slot, boolean accumulate) {
        k.finishArgs(partial, ArenaKernel.REDUCE_GROUPS, series, b(control).offset, slot, accumulate);
        launch(ArenaKernel.FINISH, ranges.range(ArenaKernel.GROUP, ArenaKernel.GROUP));
    }

    @Override
    public void beginStep(OptimizerSpec spec, StepGuard guard, long batchIndex, int rows, Buf control) {
        checkUse();
        updates.beginStep(spec, guard, batchIndex, rows, b(control).offset);
    }

    @Override
    public void step(OptimizerSpec spec, float lr, Buf params, Buf grads, Buf[] state, int length, int decayEnd,
                     float clipValue, Buf control) {
        checkUse();
        int[] s = stateOffsets;
        for (int i = 0; i < s.length; i++) {
            s[i] = i < state.length ? b(state[i]).offset : -1;
        }
        updates.step(spec, lr, b(params).offset, b(grads).offset, s, length, decayEnd, clipValue, b(control).offset);
    }

    @Override
    public void synchronize() {
        // Aparapi's execute() returns only after the kernel has finished.
    }

    @Override
    public void close() {
        if (life.close()) {
            k.dispose();
        }
    }
}
