package dev.descent.cuda;

import static jcuda.driver.JCudaDriver.cuGraphAddChildGraphNode;
import static jcuda.driver.JCudaDriver.cuGraphAddKernelNode;
import static jcuda.driver.JCudaDriver.cuGraphCreate;
import static jcuda.driver.JCudaDriver.cuGraphExecKernelNodeSetParams;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;

import jcuda.driver.CUDA_KERNEL_NODE_PARAMS;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUgraphNode;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;

/**
 * The driver calls {@link StepGraphs} makes to build, capture, instantiate, update and launch
 * graphs, each of which a driver may refuse (a CudaException). They are methods of their own so
 * that a test can hand StepGraphs a driver that refuses one of them, and check that a refused
 * graph costs the graph, never the step. Destroying a graph is not among them: it does not fail
 * for a graph that exists.
 */
class GraphDriver {

    void create(CUgraph graph) {
        cuGraphCreate(graph, 0);
    }

    void addKernelNode(CUgraphNode node, CUgraph graph, CUgraphNode[] dependencies, long count,
                       CUDA_KERNEL_NODE_PARAMS params) {
        cuGraphAddKernelNode(node, graph, dependencies, count, params);
    }

    void addChildGraphNode(CUgraphNode node, CUgraph graph, CUgraphNode[] dependencies, long count, CUgraph child) {
        cuGraphAddChildGraphNode(node, graph, dependencies, count, child);
    }

    void instantiate(CUgraphExec exec, CUgraph graph) {
        cuGraphInstantiate(exec, graph, 0);
    }

    void setKernelNodeParams(CUgraphExec exec, CUgraphNode node, CUDA_KERNEL_NODE_PARAMS params) {
        cuGraphExecKernelNodeSetParams(exec, node, params);
    }

    void launch(CUgraphExec exec, CUstream stream) {
        cuGraphLaunch(exec, stream);
    }

    /** Thread-local: the capture restricts this thread only, not another CUDA user in the process. */
    void beginCapture(CUstream stream) {
        cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
    }

    void endCapture(CUstream stream, CUgraph graph) {
        cuStreamEndCapture(stream, graph);
    }
}
