package dev.descent.spark;

import java.util.Base64;
import org.apache.spark.BarrierTaskContext;

/**
 * {@link Exchange} over Spark's barrier stage: {@link BarrierTaskContext#allGather} sends each
 * task's message through the driver and returns them all, ordered by partition. It carries
 * strings, so the bytes travel as Base64 (a third more than raw). It is the engine's own
 * collective, needs no ports or services of its own, and fails the whole stage when a task dies,
 * which is what lets Spark retry it.
 */
final class BarrierExchange implements Exchange {
    private final BarrierTaskContext context;

    BarrierExchange(BarrierTaskContext context) {
        this.context = context;
    }

    @Override
    public byte[][] allGather(byte[] message) {
        String[] all = context.allGather(Base64.getEncoder().encodeToString(message));
        byte[][] out = new byte[all.length][];
        for (int i = 0; i < all.length; i++) {
            out[i] = Base64.getDecoder().decode(all[i]);
        }
        return out;
    }

    @Override
    public int task() {
        return context.partitionId();
    }
}
