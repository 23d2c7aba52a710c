// lungseg OpenCL kernels: the single source of the OpenCL backend, OpenCL C 1.2, no extensions.
// Embedded into AHNetCL at build time (Plugins/EmbedKernels); never read from disk at run time.

// y[i] = a * x[i] + y[i]: the smoke-test kernel that proves a device builds and runs this file.
__kernel void saxpy(const int n, const float a, __global const float *x, __global float *y) {
    const int i = get_global_id(0);
    if (i < n) {
        y[i] = a * x[i] + y[i];
    }
}
