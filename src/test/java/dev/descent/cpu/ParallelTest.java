package dev.descent.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** descent's worker threads: the split, failures, nested and concurrent calls, closing. */
class ParallelTest {

    @Test
    void everyElementIsVisitedOnceInAlignedChunksOnSeveralThreads() {
        try (Parallel par = new Parallel(3)) {
            int roundsOnThreeThreads = 0;
            for (int round = 0; round < 2000; round++) { // back to back, as a training step calls it
                int n = 1000 + round % 37;
                int[] seen = new int[n];
                int[][] bounds = new int[3][];
                ConcurrentHashMap<String, Boolean> threads = new ConcurrentHashMap<>();
                par.forRange(n, 1, 16, (chunk, from, to) -> {
                    bounds[chunk] = new int[] {from, to};
                    threads.put(Thread.currentThread().getName(), true);
                    for (int i = from; i < to; i++) {
                        seen[i]++;
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, seen[i], "element " + i + " of " + n);
                }
                assertEquals(0, bounds[1][0] % 16, "chunk boundaries are multiples of the alignment");
                assertEquals(bounds[0][1], bounds[1][0]);
                assertEquals(bounds[1][1], bounds[2][0]);
                // A worker that has not started its chunk when the caller finishes its own loses
                // it to the caller, so a round may run on fewer threads; the workers run most.
                roundsOnThreeThreads += threads.size() == 3 ? 1 : 0;
            }
            assertTrue(roundsOnThreeThreads > 0, "the workers ran chunks");
        }
    }

    @Test
    void theCallerRunsTheChunksNoWorkerClaims() {
        // Workers that never start (as if descheduled for good): the caller takes every chunk,
        // in order, and the call completes instead of waiting for them.
        try (Parallel par = new Parallel(3, false)) {
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> {
                for (int round = 0; round < 3; round++) {
                    java.util.List<Integer> order = new java.util.ArrayList<>();
                    java.util.Set<String> threads = new java.util.HashSet<>();
                    par.forRange(300, 1, 1, (chunk, from, to) -> {
                        order.add(chunk);
                        threads.add(Thread.currentThread().getName());
                    });
                    assertEquals(java.util.List.of(0, 1, 2), order);
                    assertEquals(java.util.Set.of(Thread.currentThread().getName()), threads);
                }
                IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                        par.forRange(300, 1, 1, (chunk, from, to) -> {
                            if (chunk == 2) {
                                throw new IllegalStateException("chunk 2 failed");
                            }
                        }));
                assertEquals("chunk 2 failed", e.getMessage());
            });
        }
    }

    @Test
    void aFailureInAWorkerChunkReachesTheCallerAndTheWorkersCarryOn() {
        try (Parallel par = new Parallel(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                    par.forRange(100, 1, 1, (chunk, from, to) -> {
                        if (chunk == 1) {
                            throw new IllegalArgumentException("chunk 1 failed");
                        }
                    }));
            assertEquals("chunk 1 failed", e.getMessage());
            AtomicInteger sum = new AtomicInteger();
            par.forRange(100, 1, 1, (chunk, from, to) -> sum.addAndGet(to - from));
            assertEquals(100, sum.get());
        }
    }

    @Test
    void nestedAndConcurrentCallsRunTheSameChunksOnTheCallingThread() throws InterruptedException {
        try (Parallel par = new Parallel(2)) {
            int[][] inner = new int[2][];
            par.forRange(64, 1, 1, (outer, f, t) -> {
                if (outer == 0) {
                    par.forRange(64, 1, 16, (chunk, from, to) -> inner[chunk] = new int[] {from, to});
                }
            });
            assertArrayEquals(new int[] {0, 32}, inner[0]);
            assertArrayEquals(new int[] {32, 64}, inner[1]);

            // Two threads call at once: both complete, each element counted once per call.
            int n = 1 << 16;
            int[] count = new int[n];
            CountDownLatch start = new CountDownLatch(1);
            Thread[] callers = new Thread[2];
            for (int c = 0; c < callers.length; c++) {
                callers[c] = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int r = 0; r < 200; r++) {
                        par.forRange(n, 1, 16, (chunk, from, to) -> {
                            synchronized (count) {
                                for (int i = from; i < to; i++) {
                                    count[i]++;
                                }
                            }
                        });
                    }
                });
                callers[c].start();
            }
            start.countDown();
            for (Thread t : callers) {
                t.join();
            }
            for (int i = 0; i < n; i++) {
                assertEquals(400, count[i]);
            }
        }
    }

    @Test
    void closingStopsTheWorkersAndLaterCallsStillComplete() throws InterruptedException {
        Parallel par = new Parallel(2);
        par.forRange(10, 1, 1, (chunk, from, to) -> { });
        assertTrue(workerAlive(), "a worker thread runs while open");
        par.close();
        for (int i = 0; i < 100 && workerAlive(); i++) {
            Thread.sleep(20);
        }
        assertTrue(!workerAlive(), "the worker thread ended after close");
        AtomicInteger sum = new AtomicInteger();
        ConcurrentHashMap<String, Boolean> threads = new ConcurrentHashMap<>();
        par.forRange(10, 1, 1, (chunk, from, to) -> {
            sum.addAndGet(to - from);
            threads.put(Thread.currentThread().getName(), true);
        });
        assertEquals(10, sum.get());
        assertEquals(1, threads.size(), "after close the caller runs every chunk");
        assertNotEquals(true, threads.containsKey("descent-cpu-1"));
    }

    private static boolean workerAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("descent-cpu-1") && t.isAlive());
    }
}
