#!/usr/bin/env bash
# Runs the JMH suite and writes benchmarks/results/{RESULTS.md,jmh.json,updates.png,gemm.png}.
#   bash benchmarks/run.sh quick    # ~15 minutes on 2 cores
#   bash benchmarks/run.sh full     # every size and shape, 2 forks
set -euo pipefail
cd "$(dirname "$0")/.."
suite="${1:-quick}"
# The CPU peer: OpenBLAS as the system BLAS (netlib-java loads libblas.so.3).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! ldconfig -p | grep -q libopenblas; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
fi
mvn -B -q -DskipTests install
mvn -B -q -f benchmarks/pom.xml package
java -Xmx12g --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar dev.descent.bench.Suites "$suite" benchmarks/results
