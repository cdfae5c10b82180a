#!/usr/bin/env bash
# Generates descent's libcublas.so.12 forwarding library from the symbol list.
#
# JCublas 12.6's JNI libraries import cuBLAS with versioned symbols (cublasSgemm_v2@libcublas.so.12),
# so on a host that has only CUDA 13's cuBLAS they cannot load. cuBLAS 13 kept the v2 entry points
# descent calls (cublasCreate_v2, cublasSetMathMode, cublasSgemm_v2, cublasDestroy_v2) with the
# same signatures. This library carries the version node "libcublas.so.12" and exports every
# symbol JCublas imports as a one-instruction trampoline (jmp through a slot), so arguments and
# results pass through untouched whatever the signature. Its constructor fills the slots from
# libcublas.so.13 with dlsym. A symbol cuBLAS 13 dropped prints one line and returns
# CUBLAS_STATUS_NOT_SUPPORTED. DESCENT_SHIM_VERBOSE=1 names the absent ones at load.
#
# Usage: gen.sh SYMBOLS OUTDIR   -> OUTDIR/trampolines.S, OUTDIR/resolve.c, OUTDIR/version.map
# symbols.txt lists what libJCublas*.so imports; `make -C native check-cublas12` compares it with
# the JCublas natives in the Maven cache (after a JCuda upgrade, `make -C native cublas12-symbols`).
set -euo pipefail
symbols="$1"
out="$2"
mkdir -p "$out"
count=$(grep -c . "$symbols")

{
  echo '    .text'
  i=0
  while read -r s; do
    printf '    .globl %s\n    .type %s,@function\n%s:\n    jmp *descent_slots+%d(%%rip)\n' "$s" "$s" "$s" $((i * 8))
    i=$((i + 1))
  done < "$symbols"
  echo '    .section .note.GNU-stack,"",@progbits'
} > "$out/trampolines.S"

{
  echo '#include <dlfcn.h>'
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo "#define COUNT $count"
  echo 'static const char *names[COUNT] = {'
  sed 's/.*/    "&",/' "$symbols"
  echo '};'
  cat <<'C'
void *descent_slots[COUNT];

/* Reached only through a slot that cuBLAS 13 could not fill. */
static int missing(void) {
    fprintf(stderr, "descent cuBLAS shim: a cuBLAS 12 function absent from libcublas.so.13 was called"
                    " (DESCENT_SHIM_VERBOSE=1 names them)\n");
    return 15; /* CUBLAS_STATUS_NOT_SUPPORTED */
}

__attribute__((constructor)) static void resolve(void) {
    void *lib = dlopen("libcublas.so.13", RTLD_NOW | RTLD_GLOBAL);
    int verbose = getenv("DESCENT_SHIM_VERBOSE") != NULL;
    if (!lib && verbose) {
        fprintf(stderr, "descent cuBLAS shim: %s\n", dlerror());
    }
    for (int i = 0; i < COUNT; i++) {
        void *f = lib ? dlsym(lib, names[i]) : NULL;
        if (!f && lib && verbose) {
            fprintf(stderr, "descent cuBLAS shim: %s is not in libcublas.so.13\n", names[i]);
        }
        descent_slots[i] = f ? f : (void *) missing;
    }
}
C
} > "$out/resolve.c"

echo 'libcublas.so.12 { global: cublas*; local: *; };' > "$out/version.map"
