#!/usr/bin/env bash
# Time to accuracy: descent on Spark against MLlib's MultilayerPerceptronClassifier (see MllibComparison's javadoc).
#   bash benchmarks/spark/mllib.sh [IDX-DIR]   (after mvn -DskipTests install in the root)
HEAP=8g exec bash "$(dirname "$0")/../../spark/run-class.sh" dev.descent.spark.MllibComparison "$@"
