package dev.descent;

import dev.descent.internal.Lifecycle;
import dev.descent.data.Dataset;

/**
 * A dataset uploaded to a backend once, with a row-order buffer beside it. Training gathers each
 * batch on the device from the order buffer, so the only host-to-device traffic per epoch is the
 * new order (one float per row), never the samples.
 */
public final class DeviceDataset implements AutoCloseable {
    private final Backend backend;
    private final Dataset host;
    final Buf features;
    final Buf targets;
    final Buf order;
    private final float[] orderHost;
    private final Lifecycle life = new Lifecycle("device dataset");

    DeviceDataset(Backend backend, Dataset data) {
        this.backend = backend;
        this.host = data;
        this.features = backend.allocate(data.rows() * data.cols());
        this.targets = backend.allocate(data.rows() * data.targetWidth());
        this.order = backend.allocate(data.rows());
        backend.upload(data.features(), 0, features, 0, data.rows() * data.cols());
        backend.upload(data.targets(), 0, targets, 0, data.rows() * data.targetWidth());
        this.orderHost = new float[data.rows()];
        resetOrder();
    }

    /**
     * The host data set this was uploaded from.
     *
     * @return the data set
     */
    public Dataset host() {
        return host;
    }

    /**
     * Samples.
     *
     * @return rows
     */
    public int rows() {
        return host.rows();
    }

    /** Rows in their stored order. */
    public void resetOrder() {
        synchronized (backend) {
            ensureOpen();
            for (int i = 0; i < orderHost.length; i++) {
                orderHost[i] = i;
            }
            backend.upload(orderHost, 0, order, 0, orderHost.length);
        }
    }

    /**
     * A Fisher-Yates permutation drawn from {@code seed} alone, so epoch e of a run with seed s
     * sees the same order whether or not the run was resumed from a checkpoint.
     *
     * @param seed the epoch's seed
     */
    public void shuffle(long seed) {
        synchronized (backend) {
            ensureOpen();
            java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
            for (int i = 0; i < orderHost.length; i++) {
                orderHost[i] = i;
            }
            for (int i = orderHost.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                float tmp = orderHost[i];
                orderHost[i] = orderHost[j];
                orderHost[j] = tmp;
            }
            backend.upload(orderHost, 0, order, 0, orderHost.length);
        }
    }

    /** Throws IllegalStateException when this dataset or its backend is closed. */
    void ensureOpen() {
        life.check();
        backend.ensureOpen();
    }

    /** Frees the device copy; a second call does nothing, and any later use throws IllegalStateException. */
    @Override
    public void close() {
        synchronized (backend) {
            if (!life.close() || backend.isClosed()) {
                return;
            }
            backend.free(features);
            backend.free(targets);
            backend.free(order);
        }
    }
}
