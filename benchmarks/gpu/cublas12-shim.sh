#!/usr/bin/env bash
# Builds libcublas.so.12 for hosts that have only CUDA 13's cuBLAS (libcublas.so.13).
#
# JCublas 12.6's JNI libraries are linked against libcublas.so.12 with versioned symbols, so on a
# CUDA 13 host they cannot load and descent falls back to its own SGEMM. cuBLAS 13 kept the v2
# entry points descent calls (cublasCreate_v2, cublasSetMathMode, cublasSgemm_v2,
# cublasDestroy_v2) with the same signatures, so a library that carries the version node
# "libcublas.so.12" and forwards every symbol JCublas imports to libcublas.so.13 lets the real
# cuBLAS run. Each export is a one-instruction trampoline (jmp through a slot), so arguments and
# return values pass through untouched whatever the signature; a constructor fills the slots with
# dlsym. A symbol cuBLAS 13 dropped prints its name and returns CUBLAS_STATUS_NOT_SUPPORTED.
#
# Usage: cublas12-shim.sh DESCENT_FAT_JAR OUTPUT_DIR   (needs gcc, nm, unzip; no CUDA)
set -euo pipefail
jar="$1"
out="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unzip -q -o "$jar" 'lib/libJCublas*-linux-x86_64.so' -d "$work"
nm -D --undefined-only "$work"/lib/libJCublas*.so | sed -n 's/^ *U \(cublas[A-Za-z0-9_]*\)@libcublas\.so\.12$/\1/p' \
  | sort -u > "$work/symbols"
count=$(wc -l < "$work/symbols")
[ "$count" -gt 0 ] || { echo "cublas12-shim: no libcublas.so.12 imports found in $jar" >&2; exit 1; }

{
  echo '    .text'
  i=0
  while read -r s; do
    printf '    .globl %s\n    .type %s,@function\n%s:\n    jmp *descent_slots+%d(%%rip)\n' "$s" "$s" "$s" $((i * 8))
    i=$((i + 1))
  done < "$work/symbols"
  echo '    .section .note.GNU-stack,"",@progbits'
} > "$work/trampolines.S"

{
  echo '#include <dlfcn.h>'
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo "#define COUNT $count"
  echo 'static const char *names[COUNT] = {'
  sed 's/.*/    "&",/' "$work/symbols"
  echo '};'
  cat <<'C'
void *descent_slots[COUNT];
/* Reached only through a slot that cuBLAS 13 could not fill (DESCENT_SHIM_VERBOSE=1 names them). */
static int missing(void) {
    fprintf(stderr, "descent cuBLAS shim: a cuBLAS 12 function absent from libcublas.so.13 was called\n");
    return 15; /* CUBLAS_STATUS_NOT_SUPPORTED */
}
__attribute__((constructor)) static void resolve(void) {
    void *lib = dlopen("libcublas.so.13", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        fprintf(stderr, "descent cuBLAS shim: %s\n", dlerror());
    }
    int absent = 0, verbose = getenv("DESCENT_SHIM_VERBOSE") != NULL;
    for (int i = 0; i < COUNT; i++) {
        void *f = lib ? dlsym(lib, names[i]) : NULL;
        if (!f) {
            absent++;
            if (lib && verbose) {
                fprintf(stderr, "descent cuBLAS shim: %s is not in libcublas.so.13\n", names[i]);
            }
            f = (void *) missing;
        }
        descent_slots[i] = f;
    }
    if (lib && absent > 0 && verbose) {
        fprintf(stderr, "descent cuBLAS shim: %d of %d cuBLAS 12 symbols absent from libcublas.so.13\n", absent, COUNT);
    }
}
C
} > "$work/resolve.c"

echo 'libcublas.so.12 { global: cublas*; local: *; };' > "$work/version.map"
mkdir -p "$out"
gcc -O2 -shared -fPIC -o "$out/libcublas.so.12" "$work/trampolines.S" "$work/resolve.c" \
  -Wl,-soname,libcublas.so.12 -Wl,--version-script="$work/version.map" -ldl
echo "cublas12-shim: $out/libcublas.so.12 forwards $count symbols to libcublas.so.13"
