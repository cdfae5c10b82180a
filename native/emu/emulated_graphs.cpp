// Streams, stream capture and CUDA Graphs for the emulated driver (see emulated_driver.cpp): the
// calls dev.descent.cuda.StepGraphs makes, with the rules a driver enforces, so that a mistake in
// how descent builds, updates or launches a graph fails here instead of on the first GPU.
//
// Work runs when it is enqueued, so a stream is only a handle, except while it captures: then
// kernels and copies enqueued on it become nodes of the capture's graph instead of running, and
// a call that would have to wait for the capturing stream (a synchronous copy, an allocation, a
// context synchronisation, legacy-stream work) fails and invalidates the capture.
//
// A graph is a list of nodes, each depending on nodes added before it, so the list order is a
// valid execution order and cuGraphLaunch runs the nodes in that order. Instantiation copies the
// graph, child graphs flattened in place; cuGraphExecKernelNodeSetParams changes the copy only.
// Pointer arguments are checked against live allocations when a node runs, not when it is
// added: a node still holding a freed buffer fails at launch with CUDA_ERROR_ILLEGAL_ADDRESS.
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "emulated_driver.h"

using namespace drv;

namespace {

// CUgraphNodeType and CUstreamCaptureMode values from cuda.h.
constexpr int NODE_KERNEL = 0, NODE_MEMCPY = 1, NODE_GRAPH = 4;
constexpr int CAPTURE_MODE_GLOBAL = 0, CAPTURE_MODE_THREAD_LOCAL = 1;
constexpr unsigned STREAM_NON_BLOCKING = 1;

// CUDA_KERNEL_NODE_PARAMS_v2 as cuda.h (CUDA 12) lays it out; kern and ctx are ignored when func
// is set, as the driver documents, and descent always sets func.
struct KernelNodeParams {
    void* func;
    unsigned gridDimX, gridDimY, gridDimZ;
    unsigned blockDimX, blockDimY, blockDimZ;
    unsigned sharedMemBytes;
    void** kernelParams;
    void** extra;
    void* kern;
    void* ctx;
};

struct Graph;

// What a kernel or copy node does when it runs.
struct Work {
    int type = NODE_KERNEL;
    // A kernel: its index, geometry and argument values, one 8-byte slot per parameter.
    int kernel = -1;
    dim3 grid{1, 1, 1}, block{1, 1, 1};
    std::vector<uint64_t> args;
    // A copy.
    uint64_t dst = 0, src = 0;
    size_t bytes = 0;
};

struct Node {
    Work work;
    // A child graph node (type NODE_GRAPH): its own copy of the graph.
    std::unique_ptr<Graph> child;
};

struct Graph {
    std::vector<std::unique_ptr<Node>> nodes;
    std::set<const Node*> members;

    Node* add(std::unique_ptr<Node> node) {
        Node* raw = node.get();
        nodes.push_back(std::move(node));
        members.insert(raw);
        return raw;
    }
};

// An instantiated graph: the nodes flattened in order, and which copy stands for which node.
struct Exec {
    std::vector<Work> steps;
    std::map<const Node*, size_t> step_of;
};

struct Stream {
    bool blocking = true;  // synchronises with the legacy stream (created without CU_STREAM_NON_BLOCKING)
    bool capturing = false;
    bool invalidated = false;
    int mode = 0;
    std::thread::id capturer;
    std::unique_ptr<Graph> capture;
};

std::mutex graphs_mutex;
std::set<Stream*> streams;
std::set<Graph*> graphs;
std::set<Exec*> execs;

// Copies a kernel's argument values out of kernelParams, each by its parameter's size.
std::vector<uint64_t> pack(int kernel, void** params) {
    const std::vector<int>& kinds = emu::kernel_kinds(kernel);
    std::vector<uint64_t> slots(kinds.size(), 0);
    for (size_t i = 0; i < kinds.size(); i++) {
        bool word = kinds[i] == emu::INT || kinds[i] == emu::FLOAT;
        std::memcpy(&slots[i], params[i], word ? 4 : 8);
    }
    return slots;
}

int run(const Work& work) {
    if (work.type == NODE_MEMCPY) return copy_now(work.dst, work.src, work.bytes);
    std::vector<void*> params(work.args.size());
    for (size_t i = 0; i < params.size(); i++) params[i] = (void*)&work.args[i];
    return run_kernel(work.kernel, work.grid, work.block, params.data());
}

std::unique_ptr<Graph> copy_of(const Graph& graph) {
    auto copy = std::make_unique<Graph>();
    for (const auto& n : graph.nodes) {
        auto node = std::make_unique<Node>();
        node->work = n->work;
        if (n->child) node->child = copy_of(*n->child);
        copy->add(std::move(node));
    }
    return copy;
}

void flatten(const Graph& graph, Exec& exec, bool top) {
    for (const auto& n : graph.nodes) {
        if (n->work.type == NODE_GRAPH) {
            flatten(*n->child, exec, false);
            continue;
        }
        if (top) exec.step_of[n.get()] = exec.steps.size();
        exec.steps.push_back(n->work);
    }
}

// Every dependency must be a node of the graph it is added to.
bool dependencies_valid(const Graph& graph, void* const* deps, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (graph.members.count((const Node*)deps[i]) == 0) return false;
    }
    return true;
}

Stream* capturing_stream(void* stream) {
    Stream* s = (Stream*)stream;
    return s != nullptr && streams.count(s) && s->capturing ? s : nullptr;
}

}  // namespace

namespace drv {

bool stream_valid(void* stream) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    return stream == nullptr || streams.count((Stream*)stream) == 1;
}

int refuse_while_capturing(const char* call, bool legacy_stream_work) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    for (Stream* s : streams) {
        if (!s->capturing) continue;
        // Work on the legacy stream would make it wait for a capturing blocking stream, whatever
        // the mode and thread; a potentially unsafe call is refused in global mode from any
        // thread, in thread-local mode from the capturing thread only, in relaxed mode never.
        bool implicit = legacy_stream_work && s->blocking;
        bool unsafe = s->mode == CAPTURE_MODE_GLOBAL
                      || (s->mode == CAPTURE_MODE_THREAD_LOCAL && s->capturer == std::this_thread::get_id());
        if (!implicit && !unsafe) continue;
        s->invalidated = true;
        report(std::string(call) + " while a stream is capturing: the capture is invalidated");
        return implicit ? CUDA_ERROR_STREAM_CAPTURE_IMPLICIT : CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    return CUDA_SUCCESS;
}

bool capture_kernel(void* stream, int kernel, dim3 grid, dim3 block, void** params, int* status) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Stream* s = capturing_stream(stream);
    if (s == nullptr) return false;
    if (params == nullptr) {
        *status = CUDA_ERROR_INVALID_VALUE;
        return true;
    }
    auto node = std::make_unique<Node>();
    node->work.kernel = kernel;
    node->work.grid = grid;
    node->work.block = block;
    node->work.args = pack(kernel, params);
    s->capture->add(std::move(node));
    *status = CUDA_SUCCESS;
    return true;
}

int refuse_capture_of(void* stream, const char* call) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Stream* s = capturing_stream(stream);
    if (s == nullptr) return CUDA_SUCCESS;
    s->invalidated = true;
    report(std::string(call) + " on a capturing stream is not captured: the capture is invalidated");
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
}

bool capture_copy(void* stream, uint64_t dst, uint64_t src, size_t bytes, int* status) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Stream* s = capturing_stream(stream);
    if (s == nullptr) return false;
    auto node = std::make_unique<Node>();
    node->work.type = NODE_MEMCPY;
    node->work.dst = dst;
    node->work.src = src;
    node->work.bytes = bytes;
    s->capture->add(std::move(node));
    *status = CUDA_SUCCESS;
    return true;
}

}  // namespace drv

extern "C" {

int cuStreamCreate(void** stream, unsigned int flags) {
    if (!context_current()) return CUDA_ERROR_INVALID_CONTEXT;
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Stream* s = new Stream();
    s->blocking = (flags & STREAM_NON_BLOCKING) == 0;
    streams.insert(s);
    *stream = s;
    return CUDA_SUCCESS;
}

int cuStreamDestroy_v2(void* stream) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Stream* s = (Stream*)stream;
    if (streams.erase(s) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete s;
    return CUDA_SUCCESS;
}

int cuStreamSynchronize(void* stream) {
    if (!context_current()) return CUDA_ERROR_INVALID_CONTEXT;
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Stream* s = (Stream*)stream;
    if (s != nullptr && streams.count(s) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (s != nullptr && s->capturing) {
        s->invalidated = true;
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    return CUDA_SUCCESS;  // work ran when it was enqueued
}

int cuStreamBeginCapture_v2(void* stream, int mode) {
    if (!context_current()) return CUDA_ERROR_INVALID_CONTEXT;
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Stream* s = (Stream*)stream;
    if (s == nullptr) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;  // the legacy stream cannot capture
    if (streams.count(s) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (s->capturing) return CUDA_ERROR_ILLEGAL_STATE;
    s->capturing = true;
    s->invalidated = false;
    s->mode = mode;
    s->capturer = std::this_thread::get_id();
    s->capture = std::make_unique<Graph>();
    return CUDA_SUCCESS;
}

int cuStreamEndCapture(void* stream, void** graph) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Stream* s = (Stream*)stream;
    if (s == nullptr || streams.count(s) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (!s->capturing) return CUDA_ERROR_ILLEGAL_STATE;
    s->capturing = false;
    std::unique_ptr<Graph> captured = std::move(s->capture);
    *graph = nullptr;
    if (s->invalidated) return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    Graph* g = captured.release();
    graphs.insert(g);
    *graph = g;
    return CUDA_SUCCESS;
}

int cuGraphCreate(void** graph, unsigned int flags) {
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Graph* g = new Graph();
    graphs.insert(g);
    *graph = g;
    return CUDA_SUCCESS;
}

int cuGraphDestroy(void* graph) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Graph* g = (Graph*)graph;
    if (graphs.erase(g) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete g;
    return CUDA_SUCCESS;
}

int cuGraphAddKernelNode_v2(void** node, void* graph, void* const* deps, size_t count, const KernelNodeParams* p) {
    if (!context_current()) return CUDA_ERROR_INVALID_CONTEXT;
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Graph* g = (Graph*)graph;
    if (graphs.count(g) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (p == nullptr || p->func == nullptr || p->kernelParams == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (!dependencies_valid(*g, deps, count)) return CUDA_ERROR_INVALID_VALUE;
    int kernel = (int)(uintptr_t)p->func - 1;
    dim3 grid{p->gridDimX, p->gridDimY, p->gridDimZ}, block{p->blockDimX, p->blockDimY, p->blockDimZ};
    int status = check_launch(kernel, grid, block, p->sharedMemBytes, p->extra);
    if (status != CUDA_SUCCESS) return status;
    auto n = std::make_unique<Node>();
    n->work.kernel = kernel;
    n->work.grid = grid;
    n->work.block = block;
    n->work.args = pack(kernel, p->kernelParams);
    *node = g->add(std::move(n));
    return CUDA_SUCCESS;
}

int cuGraphAddChildGraphNode(void** node, void* graph, void* const* deps, size_t count, void* child) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Graph* g = (Graph*)graph;
    Graph* c = (Graph*)child;
    if (graphs.count(g) == 0 || graphs.count(c) == 0 || g == c) return CUDA_ERROR_INVALID_HANDLE;
    if (!dependencies_valid(*g, deps, count)) return CUDA_ERROR_INVALID_VALUE;
    auto n = std::make_unique<Node>();
    n->work.type = NODE_GRAPH;
    n->child = copy_of(*c);  // the driver clones the child: destroying it afterwards is allowed
    *node = g->add(std::move(n));
    return CUDA_SUCCESS;
}

int cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags) {
    if (!context_current()) return CUDA_ERROR_INVALID_CONTEXT;
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Graph* g = (Graph*)graph;
    if (graphs.count(g) == 0) return CUDA_ERROR_INVALID_HANDLE;
    Exec* e = new Exec();
    flatten(*g, *e, true);
    execs.insert(e);
    *exec = e;
    return CUDA_SUCCESS;
}

int cuGraphExecDestroy(void* exec) {
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Exec* e = (Exec*)exec;
    if (execs.erase(e) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete e;
    return CUDA_SUCCESS;
}

// As the driver documents: the node must be a kernel node of the graph the exec was made from,
// and its function cannot change; grid, block and arguments can.
int cuGraphExecKernelNodeSetParams_v2(void* exec, void* node, const KernelNodeParams* p) {
    if (!context_current()) return CUDA_ERROR_INVALID_CONTEXT;
    std::lock_guard<std::mutex> lock(graphs_mutex);
    Exec* e = (Exec*)exec;
    if (execs.count(e) == 0) return CUDA_ERROR_INVALID_HANDLE;
    auto at = e->step_of.find((const Node*)node);
    if (at == e->step_of.end() || p == nullptr || p->kernelParams == nullptr) return CUDA_ERROR_INVALID_VALUE;
    Work& step = e->steps[at->second];
    if (step.type != NODE_KERNEL || (int)(uintptr_t)p->func - 1 != step.kernel) return CUDA_ERROR_INVALID_VALUE;
    dim3 grid{p->gridDimX, p->gridDimY, p->gridDimZ}, block{p->blockDimX, p->blockDimY, p->blockDimZ};
    int status = check_launch(step.kernel, grid, block, p->sharedMemBytes, p->extra);
    if (status != CUDA_SUCCESS) return status;
    step.grid = grid;
    step.block = block;
    step.args = pack(step.kernel, p->kernelParams);
    return CUDA_SUCCESS;
}

int cuGraphLaunch(void* exec, void* stream) {
    if (!context_current()) return CUDA_ERROR_INVALID_CONTEXT;
    std::vector<Work> steps;
    {
        std::lock_guard<std::mutex> lock(graphs_mutex);
        Exec* e = (Exec*)exec;
        if (execs.count(e) == 0) return CUDA_ERROR_INVALID_HANDLE;
        if (stream != nullptr && streams.count((Stream*)stream) == 0) return CUDA_ERROR_INVALID_HANDLE;
        if (capturing_stream(stream) != nullptr) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;  // not emulated
        steps = e->steps;
    }
    if (stream == nullptr) {
        if (int refused = refuse_while_capturing("cuGraphLaunch", true)) return refused;
    }
    for (const Work& step : steps) {
        int status = run(step);
        if (status != CUDA_SUCCESS) return status;
    }
    return CUDA_SUCCESS;
}

}  // extern "C"
