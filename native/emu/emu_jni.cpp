// JNI library behind dev.descent.cuda.EmulatedDevice: the emulated device of emu_core.h, reached
// through the same narrow interface the Java backend uses for a GPU. Each argument's kind
// (pointer, int, long, float, double) is checked against the kernel's C++ signature, so a
// packing mistake in the Java backend fails here instead of corrupting memory on a GPU.
#include <jni.h>

#include <cstring>
#include <string>
#include <vector>

#include "emu_core.h"

namespace {

void throw_java(JNIEnv* env, const char* cls, const std::string& msg) {
    env->ThrowNew(env->FindClass(cls), msg.c_str());
}

}  // namespace

extern "C" {

JNIEXPORT jlong JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeMalloc(JNIEnv* env, jclass, jlong bytes) {
    void* p = emu::device_alloc((size_t)std::max<jlong>(bytes, 1));
    if (!p) {
        throw_java(env, "java/lang/OutOfMemoryError", "emulated device: cannot allocate " + std::to_string(bytes));
    }
    return (jlong)(uintptr_t)p;
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeFree(JNIEnv* env, jclass, jlong ptr) {
    if (!emu::device_free((void*)(uintptr_t)ptr)) {
        throw_java(env, "java/lang/IllegalStateException", "emulated device: free of unknown pointer");
    }
}

JNIEXPORT jlong JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeBytesInUse(JNIEnv*, jclass) {
    return emu::device_bytes_in_use();
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeUpload(JNIEnv* env, jclass, jlong dst, jfloatArray src,
                                                                          jint offset, jint count) {
    env->GetFloatArrayRegion(src, offset, count, (jfloat*)(uintptr_t)dst);
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeDownload(JNIEnv* env, jclass, jlong src,
                                                                            jfloatArray dst, jint offset, jint count) {
    env->SetFloatArrayRegion(dst, offset, count, (const jfloat*)(uintptr_t)src);
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeCopy(JNIEnv*, jclass, jlong dst, jlong src,
                                                                        jlong bytes) {
    std::memmove((void*)(uintptr_t)dst, (const void*)(uintptr_t)src, (size_t)bytes);
}

JNIEXPORT jboolean JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeSetOrder(JNIEnv* env, jclass, jstring spec) {
    const char* chars = env->GetStringUTFChars(spec, nullptr);
    std::string wanted(chars);
    env->ReleaseStringUTFChars(spec, chars);
    return emu::set_order(wanted) ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jlong JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeFunction(JNIEnv* env, jclass, jstring name) {
    const char* chars = env->GetStringUTFChars(name, nullptr);
    std::string wanted(chars);
    env->ReleaseStringUTFChars(name, chars);
    return (jlong)(emu::find_kernel(wanted) + 1);  // 0: not found
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeLaunch(JNIEnv* env, jclass, jlong fn, jint gx, jint gy,
                                                                          jint bx, jint count, jintArray kinds,
                                                                          jlongArray values) {
    if (fn < 1 || fn > emu::kernel_count()) {
        throw_java(env, "java/lang/IllegalArgumentException", "emulated device: unknown function handle");
        return;
    }
    int kernel = (int)fn - 1;
    const std::string& name = emu::kernel_name(kernel);
    bool resources;
    std::string refused = emu::launch_error(kernel, dim3{(unsigned)gx, (unsigned)gy, 1}, dim3{(unsigned)bx, 1, 1}, &resources);
    if (!refused.empty()) {
        throw_java(env, "java/lang/IllegalArgumentException", "emulated device refuses the launch: " + refused);
        return;
    }
    const std::vector<int>& expected = emu::kernel_kinds(kernel);
    jsize n = count;
    std::vector<jint> kind(n);
    std::vector<jlong> value(n);
    env->GetIntArrayRegion(kinds, 0, n, kind.data());
    env->GetLongArrayRegion(values, 0, n, value.data());
    if ((size_t)n != expected.size()) {
        throw_java(env, "java/lang/IllegalArgumentException",
                   name + ": " + std::to_string(n) + " arguments, kernel takes " + std::to_string(expected.size()));
        return;
    }
    std::vector<unsigned char> storage(8 * (size_t)std::max(1, (int)n));
    std::vector<void*> args(n);
    for (jsize i = 0; i < n; i++) {
        if (kind[i] != expected[i]) {
            throw_java(env, "java/lang/IllegalArgumentException",
                       name + ": argument " + std::to_string(i) + " has kind " + std::to_string(kind[i]) +
                           ", kernel expects " + std::to_string(expected[i]));
            return;
        }
        unsigned char* slot = storage.data() + 8 * i;
        switch (kind[i]) {
            case emu::POINTER: { void* p = (void*)(uintptr_t)value[i]; std::memcpy(slot, &p, sizeof p); break; }
            case emu::INT: { int v = (int)value[i]; std::memcpy(slot, &v, sizeof v); break; }
            case emu::FLOAT: { int bits = (int)value[i]; std::memcpy(slot, &bits, sizeof bits); break; }
            case emu::DOUBLE:
            case emu::LONG: { std::memcpy(slot, &value[i], 8); break; }
        }
        args[i] = slot;
    }
    std::string races = emu::launch(kernel, dim3{(unsigned)gx, (unsigned)gy, 1}, dim3{(unsigned)bx, 1, 1}, args.data());
    if (!races.empty()) {
        throw_java(env, "java/lang/IllegalStateException", "emulated device found data races in " + races);
    }
}

JNIEXPORT jobjectArray JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeKernelNames(JNIEnv* env, jclass) {
    int n = emu::kernel_count();
    jobjectArray out = env->NewObjectArray(n, env->FindClass("java/lang/String"), nullptr);
    for (int i = 0; i < n; i++) {
        env->SetObjectArrayElement(out, i, env->NewStringUTF(emu::kernel_name(i).c_str()));
    }
    return out;
}

JNIEXPORT jlongArray JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeLaunchCounts(JNIEnv* env, jclass) {
    int n = emu::kernel_count();
    jlongArray out = env->NewLongArray(n);
    std::vector<jlong> counts(n);
    for (int i = 0; i < n; i++) counts[i] = emu::kernel_launches(i);
    env->SetLongArrayRegion(out, 0, n, counts.data());
    return out;
}

}  // extern "C"
