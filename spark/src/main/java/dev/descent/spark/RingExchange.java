package dev.descent.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * {@link Exchange} over direct TCP connections in a ring: task i sends to task i+1 and receives
 * from task i-1. An all-gather takes n-1 rounds; in each, every task forwards the message it
 * received last round (its own in the first), so after the last round every task holds all n.
 *
 * <p>Why not Spark's own {@code BarrierTaskContext.allGather} every step: it waits for its
 * answer by sleeping in one-second slices, so each call costs about a second however small the
 * message (measured: 20 steps took 18 s). Here Spark does the rendezvous, once, through that
 * call (each task publishes its host and port), and stays in charge of failure: a task that
 * dies closes its sockets, its neighbours' reads fail, and the barrier stage fails and is rerun.
 * A read that waits longer than the timeout fails the same way.
 */
final class RingExchange implements Exchange {
    private final int task;
    private final int tasks;
    private final ServerSocket server;
    private final Socket next;
    private final Socket previous;
    private final DataOutputStream toNext;
    private final DataInputStream fromPrevious;
    private final ExecutorService sender;
    /** The last message received from each task, reused when the next one has the same length. */
    private final byte[][] received;

    /**
     * Opens this task's listening socket, publishes its address through {@code rendezvous} and
     * connects the ring.
     *
     * @param task this task's index
     * @param host the address other tasks reach this one at
     * @param rendezvous an all-gather of strings among the tasks, used once
     * @param timeoutMillis how long a read may wait before the exchange fails
     */
    RingExchange(int task, String host, Function<String, String[]> rendezvous, int timeoutMillis) {
        this.task = task;
        try {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(0));
            String[] addresses = rendezvous.apply(host + ":" + server.getLocalPort());
            tasks = addresses.length;
            received = new byte[tasks][];
            if (tasks == 1) {
                next = previous = null;
                toNext = null;
                fromPrevious = null;
                sender = null;
                return;
            }
            String[] target = addresses[(task + 1) % tasks].split(":");
            next = new Socket();
            next.setTcpNoDelay(true);
            next.connect(new InetSocketAddress(target[0], Integer.parseInt(target[1])), timeoutMillis);
            server.setSoTimeout(timeoutMillis);
            previous = server.accept();
            previous.setSoTimeout(timeoutMillis);
            toNext = new DataOutputStream(new BufferedOutputStream(next.getOutputStream(), 1 << 16));
            fromPrevious = new DataInputStream(new BufferedInputStream(previous.getInputStream(), 1 << 16));
            sender = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "descent-ring-send-" + task);
                t.setDaemon(true);
                return t;
            });
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("task " + task + " could not join the exchange ring", e);
        }
    }

    @Override
    public byte[][] allGather(byte[] message) {
        byte[][] all = new byte[tasks][];
        all[task] = message;
        for (int round = 0; round < tasks - 1; round++) {
            byte[] outgoing = all[Math.floorMod(task - round, tasks)];
            // The send runs beside the receive: with every task writing a message larger than
            // the socket buffers before reading, the ring would otherwise deadlock.
            Future<?> sent = sender.submit(() -> {
                toNext.writeInt(outgoing.length);
                toNext.write(outgoing);
                toNext.flush();
                return null;
            });
            try {
                int length = fromPrevious.readInt();
                int source = Math.floorMod(task - round - 1, tasks);
                if (received[source] == null || received[source].length != length) {
                    received[source] = new byte[length];
                }
                fromPrevious.readFully(received[source]);
                all[source] = received[source];
                sent.get();
            } catch (IOException e) {
                throw new UncheckedIOException("task " + task + " lost its ring neighbour in round " + round, e);
            } catch (ExecutionException e) {
                throw new UncheckedIOException("task " + task + " could not send to its ring neighbour",
                        e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("task " + task + " was interrupted in the exchange", e);
            }
        }
        return all;
    }

    @Override
    public int task() {
        return task;
    }

    /** Closes every socket, which fails a neighbour's pending read at once instead of at its timeout. */
    @Override
    public void close() {
        if (sender != null) {
            sender.shutdownNow();
        }
        for (AutoCloseable c : new AutoCloseable[] {next, previous, server}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // closing on the way out: nothing more to do with it
            }
        }
    }
}
