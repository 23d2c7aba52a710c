import Foundation
import Testing
@testable import AHNet
import AHNetCPU
@testable import AHNetCL

/// Each OpenCL kernel against the CPU backend (itself checked against double-precision loops),
/// on odd sizes that do not divide the tiles, channel slices, batches of two. Runs on PoCL in CI.
@Suite("OpenCL kernels vs CPU backend", .serialized, .timeLimit(.minutes(10)))
struct OpenCLOperationTests {
    let opencl: OpenCLBackend? = try? OpenCLBackend(deviceIndex: 0)

    struct Case: Sendable, CustomTestStringConvertible {
        var cin: Int, cout: Int, kernel: Size3, stride: Size3, padding: Size3, size: Size3
        var testDescription: String { "\(cin)->\(cout) k\(kernel) s\(stride) p\(padding) \(size)" }
    }

    static let cases: [Case] = [
        Case(cin: 5, cout: 70, kernel: Size3(3, 3, 1), stride: Size3(2, 2, 1), padding: Size3(1, 1, 0), size: Size3(9, 7, 3)),
        Case(cin: 1, cout: 4, kernel: Size3(7, 7, 3), stride: Size3(2, 2, 1), padding: Size3(3, 3, 1), size: Size3(11, 13, 5)),
        Case(cin: 6, cout: 6, kernel: Size3(1, 1, 3), stride: .one, padding: Size3(0, 0, 1), size: Size3(3, 5, 4)),
        Case(cin: 37, cout: 65, kernel: .one, stride: .one, padding: .zero, size: Size3(13, 11, 3)),
        Case(cin: 9, cout: 17, kernel: .one, stride: Size3(2, 2, 1), padding: .zero, size: Size3(6, 9, 2)),
    ]

    /// The same random region data in a CPU buffer and an OpenCL buffer.
    static func pair(_ cpu: CPUBackend, _ cl: OpenCLBackend, count: Int, random: inout SplitMix) throws -> (CPUBuffer, OpenCLBuffer) {
        let values = (0..<count).map { _ in random.next() }
        let a = try cpu.makeBuffer(count: count)
        try values.withUnsafeBufferPointer { try cpu.upload($0, to: a, at: 0) }
        let b = try cl.makeBuffer(count: count)
        try values.withUnsafeBufferPointer { try cl.upload($0, to: b, at: 0) }
        return (a, b)
    }

    static func maxDifference(_ cpu: CPUBuffer, _ cl: OpenCLBackend, _ buffer: OpenCLBuffer) throws -> Float {
        var device = [Float](repeating: 0, count: cpu.count)
        try device.withUnsafeMutableBufferPointer { try cl.download(buffer, at: 0, into: $0) }
        return (0..<cpu.count).reduce(0) { max($0, abs(cpu.pointer[$1] - device[$1])) }
    }

    @Test(arguments: cases)
    func convolutionMatchesCPU(_ c: Case) throws {
        let cl = try #require(opencl, "no OpenCL device")
        let cpu = CPUBackend(threads: 2)
        var random = SplitMix(seed: UInt64(c.cin * 1000 + c.cout))
        let batch = 2
        let kernelCount = c.kernel.i * c.kernel.j * c.kernel.k
        let weights = (0..<(c.cout * c.cin * kernelCount)).map { _ in random.next() }
        let spec = PreparedConvolution(
            outChannels: c.cout, inChannels: c.cin, kernel: c.kernel, stride: c.stride, padding: c.padding, weights: weights,
            bias: (0..<c.cout).map { _ in random.next() })
        let inputAffine = ChannelAffine(scale: (0..<c.cin).map { _ in random.next() }, shift: (0..<c.cin).map { _ in random.next() })
        let outputAffine = ChannelAffine(scale: (0..<c.cout).map { _ in random.next() }, shift: (0..<c.cout).map { _ in random.next() })
        let outSize = spec.outputSize(for: c.size)
        let (inCPU, inCL) = try Self.pair(cpu, cl, count: batch * (c.cin + 2) * c.size.product, random: &random)
        let (resCPU, resCL) = try Self.pair(cpu, cl, count: batch * c.cout * outSize.product, random: &random)
        let (outCPU, outCL) = try Self.pair(cpu, cl, count: batch * (c.cout + 3) * outSize.product, random: &random)

        for (useAffine, relu) in [(true, true), (false, false)] {
            try cpu.convolve(
                ActivationRegion(buffer: inCPU, batch: batch, bufferChannels: c.cin + 2, channelOffset: 1, channels: c.cin, size: c.size),
                cpu.prepare(spec), inputAffine: useAffine ? cpu.prepare(inputAffine) : nil,
                into: ActivationRegion(buffer: outCPU, batch: batch, bufferChannels: c.cout + 3, channelOffset: 2, channels: c.cout, size: outSize),
                epilogue: Epilogue(
                    affine: useAffine ? try cpu.prepare(outputAffine) : nil,
                    residual: relu ? ActivationRegion(buffer: resCPU, batch: batch, bufferChannels: c.cout, size: outSize) : nil, relu: relu))
            try cl.convolve(
                ActivationRegion(buffer: inCL, batch: batch, bufferChannels: c.cin + 2, channelOffset: 1, channels: c.cin, size: c.size),
                cl.prepare(spec), inputAffine: useAffine ? cl.prepare(inputAffine) : nil,
                into: ActivationRegion(buffer: outCL, batch: batch, bufferChannels: c.cout + 3, channelOffset: 2, channels: c.cout, size: outSize),
                epilogue: Epilogue(
                    affine: useAffine ? try cl.prepare(outputAffine) : nil,
                    residual: relu ? ActivationRegion(buffer: resCL, batch: batch, bufferChannels: c.cout, size: outSize) : nil, relu: relu))
            let difference = try Self.maxDifference(outCPU, cl, outCL)
            // Sums of up to 147 products of values in [-1, 1): float32 reassociation only.
            #expect(difference < 1e-4, "max difference \(difference)")
        }
    }

    @Test func maxPoolMatchesCPU() throws {
        let cl = try #require(opencl, "no OpenCL device")
        let cpu = CPUBackend(threads: 2)
        var random = SplitMix(seed: 3)
        let size = Size3(7, 9, 5)
        let out = Size3(4, 5, 3)
        let (inCPU, inCL) = try Self.pair(cpu, cl, count: 2 * 3 * size.product, random: &random)
        let (resCPU, resCL) = try Self.pair(cpu, cl, count: 2 * 3 * out.product, random: &random)
        let (outCPU, outCL) = try Self.pair(cpu, cl, count: 2 * 3 * out.product, random: &random)
        let affine = ChannelAffine(scale: [-0.5, 2, 0.25], shift: [0.1, -0.2, 0.3])
        try cpu.maxPool(
            ActivationRegion(buffer: inCPU, batch: 2, bufferChannels: 3, size: size), kernel: Size3(3, 3, 3), stride: Size3(2, 2, 2),
            padding: Size3(1, 1, 1), into: ActivationRegion(buffer: outCPU, batch: 2, bufferChannels: 3, size: out),
            epilogue: Epilogue(affine: cpu.prepare(affine), residual: ActivationRegion(buffer: resCPU, batch: 2, bufferChannels: 3, size: out), relu: true))
        try cl.maxPool(
            ActivationRegion(buffer: inCL, batch: 2, bufferChannels: 3, size: size), kernel: Size3(3, 3, 3), stride: Size3(2, 2, 2),
            padding: Size3(1, 1, 1), into: ActivationRegion(buffer: outCL, batch: 2, bufferChannels: 3, size: out),
            epilogue: Epilogue(affine: cl.prepare(affine), residual: ActivationRegion(buffer: resCL, batch: 2, bufferChannels: 3, size: out), relu: true))
        #expect(try Self.maxDifference(outCPU, cl, outCL) < 1e-6)
    }

    @Test(arguments: [Size3(3, 5, 1), Size3(2, 7, 4)])
    func upsamplingMatchesCPU(size: Size3) throws {
        let cl = try #require(opencl, "no OpenCL device")
        let cpu = CPUBackend(threads: 2)
        var random = SplitMix(seed: 4)
        let out = Size3(size.i * 2, size.j * 2, size.k * 2)
        let (inCPU, inCL) = try Self.pair(cpu, cl, count: 2 * 3 * size.product, random: &random)
        let (skipCPU, skipCL) = try Self.pair(cpu, cl, count: 2 * 3 * out.product, random: &random)
        let (outCPU, outCL) = try Self.pair(cpu, cl, count: 2 * 5 * out.product, random: &random)
        try cpu.upsampleTrilinear2x(
            ActivationRegion(buffer: inCPU, batch: 2, bufferChannels: 3, size: size),
            adding: ActivationRegion(buffer: skipCPU, batch: 2, bufferChannels: 3, size: out),
            into: ActivationRegion(buffer: outCPU, batch: 2, bufferChannels: 5, channelOffset: 1, channels: 3, size: out))
        try cl.upsampleTrilinear2x(
            ActivationRegion(buffer: inCL, batch: 2, bufferChannels: 3, size: size),
            adding: ActivationRegion(buffer: skipCL, batch: 2, bufferChannels: 3, size: out),
            into: ActivationRegion(buffer: outCL, batch: 2, bufferChannels: 5, channelOffset: 1, channels: 3, size: out))
        #expect(try Self.maxDifference(outCPU, cl, outCL) < 1e-6)
    }

    @Test func tooLargeBufferIsRefusedBeforeAllocation() throws {
        let cl = try #require(opencl, "no OpenCL device")
        let limit = Int(cl.runtime.device.maxAllocationBytes)
        #expect(throws: OpenCLError.allocationTooLarge(bytes: (limit / 4 + 1) * 4, limit: limit)) {
            _ = try cl.makeBuffer(count: limit / 4 + 1)
        }
    }
}

/// A seeded generator for test data, values in [-1, 1).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Float((z ^ (z >> 31)) >> 40) / Float(1 << 23) - 1
    }
}
