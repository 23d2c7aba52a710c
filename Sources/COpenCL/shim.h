// OpenCL 1.2 API: the kernel language NVIDIA's driver and PoCL both speak.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <CL/cl_ext.h>
