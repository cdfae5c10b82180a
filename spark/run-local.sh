#!/usr/bin/env bash
# descent-spark in local mode with no Spark installation: Maven supplies Spark's jars.
#   bash spark/run-local.sh --partitions 2 --epochs 5
# Needs the descent library installed first (mvn -DskipTests install in the repository root).
exec bash "$(dirname "$0")/run-class.sh" dev.descent.spark.SparkMain "$@"
