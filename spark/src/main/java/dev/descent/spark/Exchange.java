package dev.descent.spark;

/**
 * The one collective data-parallel training needs: every task contributes a message and receives
 * every task's, in task order, so all tasks compute the same average from the same bytes in the
 * same order and stay bit-identical.
 */
public interface Exchange extends AutoCloseable {
    /**
     * Blocks until every task has contributed.
     *
     * @param message this task's bytes
     * @return every task's bytes, indexed by task (partition) id; valid until the next call,
     *     which may reuse the arrays
     */
    byte[][] allGather(byte[] message);

    /** @return this task's index, from 0 */
    int task();

    /** Releases what the exchange holds (sockets); the default holds nothing. */
    @Override
    default void close() {}
}
