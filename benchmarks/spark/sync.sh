#!/usr/bin/env bash
# The cost of one data-parallel synchronisation on this machine (see SyncBenchmark's javadoc).
#   bash benchmarks/spark/sync.sh [rounds] [local|cluster]   (after mvn -DskipTests install in the root)
HEAP=8g exec bash "$(dirname "$0")/../../spark/run-class.sh" dev.descent.spark.SyncBenchmark "$@"
