package dev.descent.spark;

import org.apache.spark.ml.util.Identifiable;

/**
 * Hands a stage its uid while its superclass constructs. Spark's shared-param traits build
 * their params (which record {@code uid()}) in the superclass constructor, before any Java field
 * is assigned, so a Java stage reads its uid from here the first time it is asked.
 */
final class StageIds {
    private static final ThreadLocal<String> GIVEN = new ThreadLocal<>();

    private StageIds() {}

    /** @param uid the uid the next stage constructed on this thread takes @return uid */
    static String give(String uid) {
        GIVEN.set(uid);
        return uid;
    }

    /** @param prefix used for a fresh uid when none was given @return the uid, once */
    static String take(String prefix) {
        String uid = GIVEN.get();
        GIVEN.remove();
        return uid != null ? uid : Identifiable.randomUID(prefix);
    }
}
