#!/usr/bin/env bash
# Runs a class of this module (main or test) with Spark's jars from Maven, no Spark installation:
#   bash spark/run-class.sh dev.descent.spark.SparkMain --epochs 5
# Needs the descent library installed first (mvn -DskipTests install in the repository root).
# HEAP sets the JVM's -Xmx (default 4g).
set -euo pipefail
cd "$(dirname "$0")"
main=$1
shift
mvn -B -q -DskipTests test-compile
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
# Spark on Java 17 needs these opens (spark-submit adds the same); descent's CPU GEMM uses the
# Vector API incubator module.
opens=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done
# local-cluster masters start executor JVMs from the distribution the pom assembles out of
# Maven's copies, with these classes and descent's on their class path (see LocalCluster).
export SPARK_HOME=${SPARK_HOME:-$PWD/target/spark-home} SPARK_SCALA_VERSION=2.13
executor="-Ddescent.executor.classpath=$PWD/target/test-classes:$PWD/target/classes"
executor="$executor -Ddescent.executor.classpath.file=$PWD/target/executor-classpath.txt"
# Spark's logging through an SLF4J 1.x API without a binding prints a notice; drop it.
java -Xmx"${HEAP:-4g}" --add-modules jdk.incubator.vector $opens -Dspark.ui.enabled=false $executor \
  -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" "$main" "$@" \
  2> >(grep -v "^SLF4J" >&2)
