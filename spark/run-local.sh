#!/usr/bin/env bash
# descent-spark in local mode with no Spark installation: Maven supplies Spark's jars.
#   bash spark/run-local.sh --partitions 2 --epochs 5
# Needs the descent library installed first (mvn -DskipTests install in the repository root).
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.includeScope=compile -Dmdep.outputFile=target/classpath.txt
# Spark on Java 17 needs these opens (spark-submit adds the same); descent's CPU GEMM uses the
# Vector API incubator module.
opens=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done
exec java -Xmx4g --add-modules jdk.incubator.vector $opens -Dspark.ui.enabled=false \
  -cp "target/classes:$(cat target/classpath.txt)" dev.descent.spark.SparkMain "$@"
