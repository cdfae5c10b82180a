#!/usr/bin/env bash
# Builds .bundle/descent-gpu.tar.xz (about 45 MB, under the 64 MiB a device call carries), which
# unpacks to descent-gpu/ with everything needed to run descent's GPU test suite and GPU benchmarks on a
# Linux x86-64 GPU host that has no JDK, no Maven and no network:
#   jre/                 a jlink-ed Java 17 runtime
#   lib/descent.jar      the library and CLI with all runtime dependencies (JCuda natives included)
#   lib/descent-tests.jar, lib/junit-console.jar   the test classes and JUnit's console launcher
#   pytorch/bench.py     the PyTorch side of the benchmarks
#   run.sh               runs everything within a time budget and writes a report (see its header)
#   summarize.py         the report's comparison tables, from the benchmarks' JSON lines
# Usage: bash benchmarks/gpu/make-bundle.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .bundle
out=.bundle/descent-gpu
mkdir -p "$out/lib" "$out/pytorch"

mvn -B -q -DskipTests package test-compile
# The fat jar carries natives for every platform (Aparapi's Windows builds alone are 60 MB, with
# their libstdc++). The bundle only runs on x86-64 Linux, so it keeps those natives and drops
# the rest, and JCuda's unused PTX-compiler and NVRTC libraries, to stay under the 64 MiB carry.
slim=.bundle/slim
mkdir -p "$slim"
(cd "$slim" && jar xf ../../target/descent.jar)
rm -rf "$slim/win" "$slim/osx" "$slim/linux/libaparapi_aarch64.so" "$slim/linux/libaparapi_armhf.so" \
  "$slim/linux/libaparapi_x86.so" "$slim"/lib/libJNvPTXCompiler-* "$slim"/lib/libJNvrtc-*
jar cfm "$out/lib/descent.jar" "$slim/META-INF/MANIFEST.MF" -C "$slim" .
rm -rf "$slim"
jar cf "$out/lib/descent-tests.jar" -C target/test-classes .
# find fails when the directory does not exist yet; that is the case the fallback is for.
console_jar() {
  find ~/.m2/repository/org/junit/platform/junit-platform-console-standalone -name '*-1.10.2.jar' 2>/dev/null | head -1 || true
}
console=$(console_jar)
if [ -z "$console" ]; then
  mvn -B -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:1.10.2
  console=$(console_jar)
fi
cp "$console" "$out/lib/junit-console.jar"
cp benchmarks/pytorch/bench.py "$out/pytorch/"
cp benchmarks/gpu/run.sh benchmarks/gpu/summarize.py "$out/"
chmod +x "$out/run.sh"

# java.desktop: PNG plots; java.logging, java.management, java.xml: JUnit; jdk.management: the tests'
# per-thread allocation counter (com.sun.management.ThreadMXBean); jdk.unsupported: JCuda;
# jdk.incubator.vector: the CPU backend's Vector API GEMM, for the host-CPU comparison.
jlink --add-modules java.base,java.desktop,java.logging,java.management,java.xml,jdk.management,jdk.unsupported,jdk.incubator.vector \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre"
tar -C .bundle -cJf .bundle/descent-gpu.tar.xz descent-gpu
rm -rf "$out"
ls -la .bundle/descent-gpu.tar.xz
echo "on the GPU host: tar -xJf descent-gpu.tar.xz && descent-gpu/run.sh"
