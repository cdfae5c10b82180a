/* Lets Java silence the process's stderr (file descriptor 2) around calls into native code
 * that prints to it directly: Aparapi's JNI library writes "WARNING: Aparapi is running on an
 * untested OpenCL platform version" with fprintf(stderr), which System.setErr cannot catch. */
#include <fcntl.h>
#include <jni.h>
#include <stdio.h>
#include <unistd.h>

JNIEXPORT jint JNICALL Java_dev_descent_opencl_QuietStderr_silence(JNIEnv* env, jclass cls) {
    fflush(stderr);
    int saved = dup(2);
    int devnull = open("/dev/null", O_WRONLY);
    if (saved < 0 || devnull < 0) {
        if (saved >= 0) close(saved);
        if (devnull >= 0) close(devnull);
        return -1;
    }
    dup2(devnull, 2);
    close(devnull);
    return saved;
}

JNIEXPORT void JNICALL Java_dev_descent_opencl_QuietStderr_restore(JNIEnv* env, jclass cls, jint saved) {
    if (saved < 0) return;
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}
