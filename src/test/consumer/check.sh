#!/usr/bin/env bash
# Builds the consumer project against the installed descent artifact (run `mvn install` first),
# checks its dependency tree holds none of the CLI's or GPU backends' libraries, and runs it.
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q package
mvn -B dependency:tree -DoutputFile=target/tree.txt >/dev/null
cat target/tree.txt
if grep -E "picocli|scala-library|bcel|jcuda|aparapi|jfreechart" target/tree.txt; then
  echo "consumer: the dependencies above should not reach a CPU-only user" >&2
  exit 1
fi
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
java -cp "target/classes:$(cat target/classpath.txt)" example.CpuOnly
