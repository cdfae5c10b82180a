#!/usr/bin/env bash
# Accuracy of data-parallel training on Spark against one process, on the full Fashion-MNIST
# (60,000 training / 10,000 test images; Debian: apt-get install dataset-fashion-mnist).
# Same network, optimizer, epochs and global batch; one seed after another, the two runs of a
# seed back to back. Prints a markdown table.
#   bash benchmarks/spark/fashion-accuracy.sh [SEEDS] [EPOCHS]   (after mvn -DskipTests install)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
data=${DATA:-/usr/share/datasets/fashion-mnist}
seeds=${1:-1 2 3}
epochs=${2:-5}
hidden=${HIDDEN:-256,128}
tasks=2
per_task=64
[ -f "$data/train-images-idx3-ubyte.gz" ] || [ -f "$data/train-images-idx3-ubyte" ] \
  || { echo "no Fashion-MNIST in $data (apt-get install dataset-fashion-mnist, or DATA=dir)" >&2; exit 1; }
common="--data $data --epochs $epochs --hidden $hidden --optimizer adam --lr 0.001 --schedule constant --backend cpu"
echo "| seed | one process, batch $((tasks * per_task)) | $tasks Spark tasks x $per_task |"
echo "|---:|---:|---:|"
for s in $seeds; do
  one=$(java --add-modules jdk.incubator.vector -jar "$root/target/descent.jar" train $common \
          --batch-size $((tasks * per_task)) --seed "$s" 2>/dev/null | sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p')
  spark=$(HEAP=8g bash "$root/spark/run-local.sh" $common --partitions $tasks --batch-size $per_task --seed "$s" \
          2>/dev/null | sed -n 's/^held-out accuracy: \([0-9.]*\).*/\1/p')
  echo "| $s | $one | $spark |"
done
