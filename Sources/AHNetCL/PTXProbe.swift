import COpenCL

/// Whether NVIDIA's OpenCL compiler accepts inline PTX `mma.sync` (tensor cores) in an OpenCL
/// kernel, and whether it computes right. Each probe multiplies all-ones fragments of one warp:
/// every output must equal the reduction depth K.
public enum PTXProbe {
    struct Variant {
        var name: String
        var depth: Float
        var source: String
    }

    static let variants = [
        Variant(name: "mma.sync m16n8k8 tf32 (cvt.rna.tf32.f32)", depth: 8, source: """
            __kernel void probe(__global float *out) {
                float one = 1.0f;
                uint a;
                asm volatile("cvt.rna.tf32.f32 %0, %1;" : "=r"(a) : "f"(one));
                float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
                asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                    : "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3) : "r"(a), "r"(a), "r"(a), "r"(a), "r"(a), "r"(a));
                int lane = get_local_id(0);
                out[lane * 4 + 0] = d0; out[lane * 4 + 1] = d1; out[lane * 4 + 2] = d2; out[lane * 4 + 3] = d3;
            }
            """),
        Variant(name: "mma.sync m16n8k16 f16 (f16x2 operands)", depth: 16, source: """
            __kernel void probe(__global float *out) {
                uint a = 0x3C003C00u;
                float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
                asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                    : "+f"(d0), "+f"(d1), "+f"(d2), "+f"(d3) : "r"(a), "r"(a), "r"(a), "r"(a), "r"(a), "r"(a));
                int lane = get_local_id(0);
                out[lane * 4 + 0] = d0; out[lane * 4 + 1] = d1; out[lane * 4 + 2] = d2; out[lane * 4 + 3] = d3;
            }
            """),
    ]

    /// One line per variant: built or not (with the start of the build log), ran, correct.
    public static func run(deviceIndex: Int) throws(OpenCLError) -> [String] {
        let runtime = try OpenCLRuntime(deviceIndex: deviceIndex)
        return variants.map { variant in
            do {
                let values = try runtime.runProbe(source: variant.source, kernel: "probe", outputs: 128, workItems: 32)
                let correct = values.allSatisfy { $0 == variant.depth }
                return "\(variant.name): builds and runs; result \(correct ? "correct" : "WRONG (first values \(values.prefix(4)))")"
            } catch let OpenCLError.buildFailed(_, log) {
                return "\(variant.name): does not build: \(log.split(separator: "\n").prefix(3).joined(separator: " | "))"
            } catch {
                return "\(variant.name): failed: \(error)"
            }
        }
    }
}

extension OpenCLRuntime {
    /// Builds `source` on this device, runs `kernel(out)` on one work-group, returns `out`.
    func runProbe(source: String, kernel name: String, outputs: Int, workItems: Int) throws(OpenCLError) -> [Float] {
        let program = try Self.buildProgram(source: source, context: context, device: deviceID, deviceName: device.name, options: "")
        defer { clReleaseProgram(program) }
        var status: cl_int = 0
        guard let kernel = clCreateKernel(program, name, &status), status == 0 else {
            throw .callFailed(function: "clCreateKernel(\(name))", code: status)
        }
        defer { clReleaseKernel(kernel) }
        let buffer = try makeBuffer(count: outputs)
        var memory: cl_mem? = buffer.memory
        try setArgument(kernel, 0, &memory)
        var global = workItems
        var local = workItems
        try check(clEnqueueNDRangeKernel(queue, kernel, 1, nil, &global, &local, 0, nil, nil), "clEnqueueNDRangeKernel(\(name))")
        var values = [Float](repeating: 0, count: outputs)
        try values.withUnsafeMutableBufferPointer { pointer throws(OpenCLError) in try read(buffer, at: 0, into: pointer) }
        return values
    }
}
