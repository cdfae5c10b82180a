package dev.descent.spark;

/** How a replica takes one step of data-parallel training and keeps in step with the others. */
interface Synchroniser {
    /**
     * Trains on the batch the session holds and exchanges what the mode exchanges.
     *
     * @param rows this task's rows in the batch (gathered into the session); 0 when its
     *     partition has run out this epoch
     * @param lr this step's learning rate
     * @param iteration the step's index in the run
     * @param lastOfEpoch whether this is the epoch's last step, after which replicas must agree
     */
    void step(int rows, float lr, long iteration, boolean lastOfEpoch);
}
