#!/usr/bin/env bash
# Time to accuracy: descent on Spark against MLlib's MultilayerPerceptronClassifier (see MllibComparison's javadoc).
#   bash benchmarks/spark/mllib.sh   (after mvn -DskipTests install in the root)
set -euo pipefail
cd "$(dirname "$0")/../../spark"
mvn -B -q -DskipTests test-compile
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
opens=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done
java -Xmx8g --add-modules jdk.incubator.vector $opens \
  -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" dev.descent.spark.MllibComparison "$@" \
  2> >(grep -v "SLF4J\|^WARNING" >&2)
