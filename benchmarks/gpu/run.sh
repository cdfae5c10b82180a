#!/usr/bin/env bash
# Runs descent's GPU suites and GPU benchmarks from the bundle and writes a report.
# Report directory: $OUT if set (the device tool's output folder), else ./report.
# Exit status: 0 when every suite ran and passed; 2 when no CUDA GPU could be opened (a run that
# tested nothing is not a pass); 1 when a suite failed. Each step has its own time limit, so one
# that hangs (a GEMM on a slow device) cannot eat the rest of the run.
# PYTHON picks the interpreter for the PyTorch side (default: python3 on PATH, which must import torch).
# BENCH=0 runs the test suites only; SANITIZE=1 adds compute-sanitizer's memcheck and racecheck
# over descent's own kernels (every op, every optimizer, a short training run; own SGEMM).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
report="${OUT:-$here/report}"
mkdir -p "$report"
java="$here/jre/bin/java"
cp="$here/lib/descent.jar:$here/lib/descent-tests.jar"
python="${PYTHON:-python3}"
md="$report/report.md"
status=0

# cuBLAS: JCublas 12.6 links libcublas.so.12. Where only CUDA 13's libcublas.so.13 exists, the
# jar's own forwarding library (native/cublas12) stands in for it, and needs cuBLAS 13 on the
# loader's path: its directory goes on LD_LIBRARY_PATH, as a user would put it there.
cublas13=$(find /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu /opt /usr/local/lib \
  -name 'libcublas.so.13' 2>/dev/null | head -1)
cublas12=$(ldconfig -p 2>/dev/null | grep -c 'libcublas.so.12 ')
cublas_default=$(timeout 60 "$java" -jar "$here/lib/descent.jar" devices 2>&1 | grep -o 'GEMM: .*' | head -1)
if [ "$cublas12" = 0 ] && [ -n "$cublas13" ]; then
  export LD_LIBRARY_PATH="$(dirname "$cublas13")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  cublas_note="libcublas.so.12 absent; $cublas13 put on LD_LIBRARY_PATH (before that, descent chose ${cublas_default:-nothing})"
else
  cublas_note="libcublas.so.12 on the loader path: $cublas12; libcublas.so.13: ${cublas13:-none}"
fi

# OpenCL on the GPU: the CUDA toolkit carries an ICD loader (libOpenCL.so.1) and the driver its
# OpenCL library; where no ICD file names it, OCL_ICD_FILENAMES does.
ocl_loader=$(find /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu -name 'libOpenCL.so.1' 2>/dev/null | head -1)
nv_ocl=$(find /usr/local/nvidia /usr/lib/x86_64-linux-gnu /usr/lib64 -name 'libnvidia-opencl.so.1' 2>/dev/null | head -1)
if [ -n "$ocl_loader" ]; then
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$(dirname "$ocl_loader")"
fi
if [ -n "$nv_ocl" ] && ! grep -qs nvidia /etc/OpenCL/vendors/*.icd; then
  export OCL_ICD_FILENAMES="$nv_ocl"
fi

{
  echo "# descent GPU report"
  echo
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) CPU threads"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | sed 's/^/gpu: /'
  echo "java: $("$java" -version 2>&1 | head -1)"
  echo "cuBLAS: $cublas_note"
  echo "OpenCL: loader ${ocl_loader:-none}, NVIDIA ICD ${nv_ocl:-none}"
  echo
  echo "## devices"
  echo '```'
  timeout 60 "$java" -jar "$here/lib/descent.jar" devices 2>&1
  echo '```'
} > "$md"

# One JUnit class on the console launcher (it does not scan classes inside a jar given with -cp).
suite() {  # name, seconds, class, extra JVM options...
  local name="$1" limit="$2" class="$3"
  shift 3
  timeout "$limit" "$java" "$@" -jar "$here/lib/junit-console.jar" execute -cp "$cp" --select-class "$class" \
    --details=tree --disable-banner --disable-ansi-colors --reports-dir "$report/junit-$name" > "$report/$name.log" 2>&1
  local rc=$?
  [ "$rc" = 0 ] || status=1
  {
    echo
    echo "## $name: $class $* (exit $rc)"
    echo '```'
    grep -E "\[(gpu|parity|opencl)\]|tests (found|successful|failed|skipped|aborted)|✘|Exception|Error" "$report/$name.log" | head -60
    echo '```'
  } >> "$md"
}

bench() {  # name, seconds, descent bench arguments...
  local name="$1" limit="$2"
  shift 2
  timeout "$limit" "$java" --add-modules jdk.incubator.vector "${JAVA_OPTS_BENCH[@]}" -jar "$here/lib/descent.jar" bench \
    "$@" --json "$report/$name.jsonl" > "$report/$name.log" 2>&1
  local rc=$?
  { echo; echo "## bench $name (exit $rc): $*"; echo '```'; grep -v "^WARNING: Using incubator" "$report/$name.log"; echo '```'; } >> "$md"
}

# 1. Correctness: the CUDA suite with cuBLAS (when it loads) and with descent's own SGEMM, then
#    the OpenCL parity suite on whatever OpenCL device comes first (the GPU where its ICD loads).
suite gpu-tests 150 dev.descent.cuda.CudaGpuTest
if grep -q "cuda (GPU) tests skipped" "$report/gpu-tests.log"; then
  echo "no CUDA GPU could be opened: $(grep -m1 "cuda (GPU) tests skipped" "$report/gpu-tests.log")" | tee -a "$md"
  cat "$md"
  exit 2
fi
suite gpu-tests-tiled 150 dev.descent.cuda.CudaGpuTest -Ddescent.cuda.gemm=tiled
# CUDA Graphs (off by default until this passes on a GPU): the contract with graphs on, and graph
# runs bit-identical to direct ones, with cuBLAS calls as captured child graphs.
suite gpu-graphs 150 dev.descent.cuda.StepGraphsGpuTest
suite opencl-tests 120 dev.descent.opencl.OpenClParityTest

sanitize() {  # tool, seconds
  local tool="$1" limit="$2" log="$report/sanitize-$1.log"
  timeout "$limit" compute-sanitizer --tool "$tool" --print-limit 20 --error-exitcode 9 "$java" -Ddescent.cuda.gemm=tiled \
    -jar "$here/lib/junit-console.jar" execute -cp "$cp" \
    --select-method dev.descent.cuda.CudaGpuTest#everyOpMatchesTheReference \
    --select-method dev.descent.cuda.CudaGpuTest#everyOptimizerMatchesTheReferenceOverEightSteps \
    --select-method dev.descent.cuda.CudaGpuTest#shortTrainingRunMatchesTheCpuBackend \
    --details=summary --disable-banner --disable-ansi-colors > "$log" 2>&1
  local rc=$?
  [ "$rc" = 0 ] || status=1
  { echo; echo "## compute-sanitizer --tool $tool, every op, optimizer and a short training run on descent's kernels (exit $rc)"; echo '```';
    grep -E "ERROR SUMMARY|RACECHECK SUMMARY|Invalid|Race|hazard|tests (successful|failed)|\[parity\]" "$log" | head -30; echo '```'; } >> "$md"
}
if [ "${SANITIZE:-0}" = 1 ]; then
  sanitize memcheck 200
  sanitize racecheck 200
fi
if [ "${BENCH:-1}" = 0 ]; then
  cat "$md"
  exit $status
fi

# 2. Benchmarks: descent on CUDA (cuBLAS, then its own SGEMM), OpenCL, the same work in PyTorch,
#    and the host CPU for scale.
# The products of one training step at batch 64: 784-256 and 4096-4096 layers, all three modes.
train_shapes=64x784x256,784x64x256:ta,64x256x784:tb,64x4096x4096,4096x64x4096:ta,64x4096x4096:tb
JAVA_OPTS_BENCH=()
bench cuda 150 --backend cuda --suite copy,updates,gemm,step --batches 1,64,1024 --sizes 16,20,24 --gemm 256,512,1024,2048,4096,$train_shapes
JAVA_OPTS_BENCH=(-Ddescent.cuda.gemm=tiled)
bench cuda-tiled 90 --backend cuda --suite gemm,step --gemm 256,512,1024,2048,4096,$train_shapes
# Variant 3 (64 x 64 tiles, split-K) on the same training shapes and steps: its first timing.
JAVA_OPTS_BENCH=(-Ddescent.cuda.gemm=tiled3)
bench cuda-tiled3 90 --backend cuda --suite gemm,step --gemm 1024,4096,$train_shapes
# Training steps and epochs as CUDA Graphs, against the cuda run above: the launch-bound small
# steps are where graphs should gain.
JAVA_OPTS_BENCH=(-Ddescent.cuda.graphs=true)
bench cuda-graphs 90 --backend cuda --suite step,epoch --batches 1,64,1024
JAVA_OPTS_BENCH=()
bench opencl 120 --backend opencl --suite copy,updates,gemm,step --sizes 20,24 --gemm 256,1024,2048 --seconds 0.3
if timeout 20 "$python" -c "import torch; assert torch.cuda.is_available()" 2>"$report/pytorch.err"; then
  timeout 120 "$python" "$here/pytorch/bench.py" > "$report/pytorch.jsonl" 2>> "$report/pytorch.err"
  { echo; echo "## PyTorch $("$python" -c 'import torch; print(torch.__version__)'), same work"; echo '```';
    cat "$report/pytorch.jsonl"; echo '```'; } >> "$md"
else
  { echo; echo "## PyTorch: not run ($python cannot use torch on CUDA)"; echo '```'; cat "$report/pytorch.err"; echo '```'; } >> "$md"
fi
bench cpu 90 --backend cpu --suite gemm,step --gemm 1024 --batches 64,1024 --seconds 0.3

# 3. The README's main job on the GPU and on this host's CPU, epoch lines with times.
for be in cuda cpu; do
  { echo; echo "## train --backend $be --epochs 10"; echo '```';
    timeout 90 "$java" --add-modules jdk.incubator.vector -jar "$here/lib/descent.jar" train --backend "$be" --epochs 10 2>&1 \
      | grep -v "^WARNING: Using incubator"; echo '```'; } >> "$md"
done
cat "$md"
exit $status
