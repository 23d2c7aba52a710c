import Testing
import AHNet
import CConvolution
@testable import AHNetCPU

/// CConvolution's fused kernels against sums in double precision, on shapes that reach every
/// block of their dispatch (one to six output channels at a time, one or two groups of eight
/// positions, a short last block). They run where the CPU has AVX2 and FMA.
@Suite("Fused FMA kernels vs double precision", .enabled(if: FusedKernels.available))
struct FusedKernelTests {
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in random.nextFloat() * 2 - 1 }
    }

    /// The error a float32 evaluation of `terms` additions may make on values of summed magnitude
    /// `magnitude` (n u Σ|x|, u = 2^-24, with a little room): a wrong term or a lost one is of
    /// the order of `magnitude` itself.
    func bound(terms: Int, magnitude: Double) -> Double { Double(terms) * 0x1p-24 * 1.01 * magnitude + 1e-12 }

    /// The worst error, as a share of `bound`, of each channel's outputs at `start ..< start +
    /// count` against `expected(co, p)` (the sum, its magnitude and its number of terms); every
    /// other position must still hold 42.
    func worstError(
        _ output: [Float], outputs: Int, plane: Int, start: Int, count: Int,
        expected: (_ co: Int, _ p: Int) -> (sum: Double, magnitude: Double, terms: Int)
    ) -> Double {
        var worst = 0.0
        for co in 0..<outputs {
            for p in 0..<plane {
                let actual = output[co * plane + p]
                guard p >= start && p < start + count else {
                    #expect(actual == 42, "position \(p) outside the range written")
                    continue
                }
                let (sum, magnitude, terms) = expected(co, p)
                worst = max(worst, abs(Double(actual) - sum) / bound(terms: terms, magnitude: magnitude))
            }
        }
        return worst
    }

    struct Shape: CustomTestStringConvertible, Sendable {
        var outputs: Int, inputs: Int, count: Int
        var testDescription: String { "\(inputs)->\(outputs) x \(count)" }
    }

    // 20 and 80: blocks of five; 7: six and one; 13: six, six, one; 4: one short block.
    static let shapes = [
        Shape(outputs: 20, inputs: 80, count: 53), Shape(outputs: 7, inputs: 3, count: 16), Shape(outputs: 13, inputs: 1, count: 9),
        Shape(outputs: 4, inputs: 17, count: 40), Shape(outputs: 1, inputs: 5, count: 1), Shape(outputs: 80, inputs: 20, count: 33),
        Shape(outputs: 64, inputs: 6, count: 24),
    ]

    @Test(arguments: shapes, [false, true])
    func pointwiseMatchesDoubleSums(_ shape: Shape, everything: Bool) {
        let (outputs, inputs, count) = (shape.outputs, shape.inputs, shape.count)
        // Positions 5 ..< 5+count of planes 70 long, channel planes 70 apart in the output too.
        let (plane, start) = (70, 5)
        let input = values(inputs * plane, seed: 1)
        let weights = values(outputs * inputs, seed: 2)
        let inputScale = values(inputs, seed: 3), inputShift = values(inputs, seed: 4)
        let scale = values(outputs, seed: 5), shift = values(outputs, seed: 6)
        let residual = values(outputs * plane, seed: 7)
        var output = [Float](repeating: 42, count: outputs * plane)
        var scratch = [Float](repeating: .nan, count: cpointwise_scratch(inputs, count))
        if everything {
            cpointwise(input, plane, inputs, 1, 0, inputScale, inputShift, weights, outputs, scale, shift, residual, plane, 1, &output, plane, start, count, &scratch)
        } else {
            cpointwise(input, plane, inputs, 1, 0, nil, nil, weights, outputs, nil, nil, nil, 0, 0, &output, plane, start, count, &scratch)
        }
        let worst = worstError(output, outputs: outputs, plane: plane, start: start, count: count) { co, p in
            var (sum, magnitude) = (0.0, 0.0)
            for ci in 0..<inputs {
                var x = Double(input[ci * plane + p])
                if everything { x = max(x * Double(inputScale[ci]) + Double(inputShift[ci]), 0) }
                sum += Double(weights[co * inputs + ci]) * x
                magnitude += abs(Double(weights[co * inputs + ci]) * x) + (everything ? abs(x) : 0)
            }
            if everything {
                magnitude = magnitude * abs(Double(scale[co])) + abs(Double(shift[co])) + abs(Double(residual[co * plane + p]))
                sum = max(sum * Double(scale[co]) + Double(shift[co]) + Double(residual[co * plane + p]), 0)
            }
            return (sum, magnitude, inputs + 4)
        }
        #expect(worst <= 1, "worst error \(worst) of what float32 rounding allows")
    }

    /// Three taps along the slices (AH-Net's (1,1,3) convolutions): each position also reads the
    /// slices before and after it, zero past the volume's first and last slice (after the
    /// activation, so padding stays 0 whatever the shift); chunks that start and end inside a
    /// slice, the first and the last of the volume included.
    @Test(arguments: [(0, 37), (20, 45), (75, 25), (0, 100)])
    func threeTapsAlongTheSlicesMatchDoubleSums(start: Int, count: Int) {
        let (outputs, inputs, taps, slice, slices) = (7, 5, 3, 20, 5)
        let plane = slice * slices
        let input = values(inputs * plane, seed: 15)
        let weights = values(outputs * inputs * taps, seed: 16)
        let inputScale = values(inputs, seed: 17), inputShift = values(inputs, seed: 18).map { abs($0) + 0.5 }
        var output = [Float](repeating: 42, count: outputs * plane)
        var scratch = [Float](repeating: .nan, count: cpointwise_scratch(inputs * taps, count))
        cpointwise(input, plane, inputs, taps, slice, inputScale, inputShift, weights, outputs, nil, nil, nil, 0, 0, &output, plane, start, count, &scratch)
        let worst = worstError(output, outputs: outputs, plane: plane, start: start, count: count) { co, p in
            var (sum, magnitude) = (0.0, 0.0)
            for ci in 0..<inputs {
                for t in 0..<taps {
                    let q = p + (t - 1) * slice
                    guard q >= 0 && q < plane else { continue }
                    let x = max(Double(input[ci * plane + q]) * Double(inputScale[ci]) + Double(inputShift[ci]), 0)
                    let w = Double(weights[(co * inputs + ci) * taps + t])
                    sum += w * x
                    magnitude += abs(w * x) + abs(x)
                }
            }
            return (sum, magnitude, inputs * taps + 2)
        }
        #expect(worst <= 1, "worst error \(worst) of what float32 rounding allows")
    }

    @Test(arguments: shapes)
    func columnsMatchDoubleSums(_ shape: Shape) {
        let (outputs, depth, count) = (shape.outputs, shape.inputs, shape.count)
        let plane = count + 9, start = 9
        // The columns with room for the seven floats the last row's short block may read.
        let columns = values(depth * count + 7, seed: 8)
        let weights = values(outputs * depth, seed: 9)
        let shift = values(outputs, seed: 10)
        var output = [Float](repeating: 42, count: outputs * plane)
        var scratch = [Float](repeating: .nan, count: cpointwise_scratch(depth, count))
        ccolumns_multiply(columns, depth, count, weights, outputs, nil, shift, nil, 0, 1, &output, plane, start, &scratch)
        var worst = 0.0
        for co in 0..<outputs {
            #expect(output[(co * plane)..<(co * plane + start)].allSatisfy { $0 == 42 })
            for p in 0..<count {
                var (sum, magnitude) = (0.0, abs(Double(shift[co])))
                for k in 0..<depth {
                    sum += Double(weights[co * depth + k]) * Double(columns[k * count + p])
                    magnitude += abs(Double(weights[co * depth + k]) * Double(columns[k * count + p]))
                }
                sum += Double(shift[co])
                let error = abs(Double(output[co * plane + start + p]) - max(sum, 0))
                worst = max(worst, error / bound(terms: depth + 1, magnitude: magnitude))
            }
        }
        #expect(worst <= 1, "worst error \(worst) of what float32 rounding allows")
    }

    @Test(arguments: [(16, 20, 80, 53), (36, 7, 3, 8), (36, 13, 5, 17), (16, 64, 6, 1)])
    func winogradProductsMatchDoubleSums(points2: Int, outputs: Int, inputs: Int, tiles: Int) {
        let pitch = tiles + 8
        let weights = values(points2 * outputs * inputs, seed: 11)
        let transformed = values(inputs * points2 * pitch, seed: 12)
        var products = [Float](repeating: .nan, count: outputs * points2 * pitch)
        cwinograd_multiply(weights, transformed, &products, outputs, inputs, points2, tiles, pitch)
        var worst = 0.0
        for co in 0..<outputs {
            for xi in 0..<points2 {
                for t in 0..<tiles {
                    var (sum, magnitude) = (0.0, 0.0)
                    for ci in 0..<inputs {
                        let term = Double(weights[(xi * outputs + co) * inputs + ci]) * Double(transformed[(ci * points2 + xi) * pitch + t])
                        sum += term
                        magnitude += abs(term)
                    }
                    let error = abs(Double(products[(co * points2 + xi) * pitch + t]) - sum)
                    worst = max(worst, error / bound(terms: inputs, magnitude: magnitude))
                }
            }
        }
        #expect(worst <= 1, "worst error \(worst) of what float32 rounding allows")
    }

    /// As the Swift paths: a NaN input stays NaN through the activation and poisons only its own
    /// position's outputs.
    @Test func aNaNInputPoisonsOnlyItsPosition() {
        let (outputs, inputs, count) = (3, 4, 20)
        var input = values(inputs * count, seed: 13)
        input[2 * count + 11] = .nan
        let weights = values(outputs * inputs, seed: 14)
        let ones = [Float](repeating: 1, count: inputs), zeros = [Float](repeating: 0, count: inputs)
        var output = [Float](repeating: 0, count: outputs * count)
        var scratch = [Float](repeating: 0, count: cpointwise_scratch(inputs, count))
        cpointwise(input, count, inputs, 1, 0, ones, zeros, weights, outputs, nil, nil, nil, 0, 1, &output, count, 0, count, &scratch)
        for co in 0..<outputs {
            for p in 0..<count { #expect(output[co * count + p].isNaN == (p == 11)) }
        }
    }
}

@Suite("Fused kernels: where they are preferred")
struct FusedKernelChoiceTests {
    @Test func preferredBesideOpenBLASsAVX2FamiliesOnly() {
        #expect(FusedKernels.preferred(besideBLASFamily: "Haswell"))
        #expect(FusedKernels.preferred(besideBLASFamily: "Zen"))
        #expect(!FusedKernels.preferred(besideBLASFamily: "SkylakeX"))
        #expect(!FusedKernels.preferred(besideBLASFamily: "SapphireRapids"))
        // A backend told not to use them does not, and one told to uses them only where the CPU can.
        #expect(!CPUBackend(threads: 1, fusedKernels: false).fusedKernels)
        #expect(CPUBackend(threads: 1, fusedKernels: true).fusedKernels == FusedKernels.available)
    }
}

/// The fused paths share their work between the backend's threads by chunks of positions whose
/// size follows the thread count; every output's sum is the same whatever the chunks.
@Suite("Fused kernels: the same bits at any thread count", .enabled(if: FusedKernels.available))
struct FusedKernelThreadTests {
    @Test(arguments: [
        (Size3(1, 1, 1), Size3.one, Size3.zero), (Size3(1, 1, 3), Size3.one, Size3(0, 0, 1)),
        (Size3(3, 3, 1), Size3(2, 2, 1), Size3(1, 1, 0)), (Size3(3, 3, 1), Size3.one, Size3(1, 1, 0)),
    ])
    func sameOutputsAtOneTwoAndSevenThreads(kernel: Size3, stride: Size3, padding: Size3) throws {
        var random = SplitMix64(seed: 21)
        let (inputs, outputs, size) = (6, 9, Size3(30, 22, 5))
        let weights = (0..<(outputs * inputs * kernel.product)).map { _ in random.nextFloat() - 0.5 }
        let spec = PreparedConvolution(
            outChannels: outputs, inChannels: inputs, kernel: kernel, stride: stride, padding: padding, weights: weights,
            bias: (0..<outputs).map { _ in random.nextFloat() })
        let affine = ChannelAffine(scale: (0..<inputs).map { _ in random.nextFloat() }, shift: (0..<inputs).map { _ in random.nextFloat() - 0.5 })
        let values = (0..<(inputs * size.product)).map { _ in random.nextFloat() * 2 - 1 }
        let outputSize = spec.outputSize(for: size)
        func run(threads: Int) throws -> [Float] {
            let backend = CPUBackend(threads: threads, fusedKernels: true)
            let input = try backend.makeBuffer(count: values.count)
            for (index, value) in values.enumerated() { input.pointer[index] = value }
            let output = try backend.makeBuffer(count: outputs * outputSize.product)
            try backend.convolve(
                ActivationRegion(buffer: input, batch: 1, bufferChannels: inputs, size: size), backend.prepare(spec),
                inputAffine: backend.prepare(affine), into: ActivationRegion(buffer: output, batch: 1, bufferChannels: outputs, size: outputSize),
                epilogue: Epilogue(relu: true))
            return Array(UnsafeBufferPointer(start: output.pointer, count: output.count))
        }
        let one = try run(threads: 1)
        #expect(one.contains { $0 != 0 })
        #expect(try run(threads: 2).map(\.bitPattern) == one.map(\.bitPattern))
        #expect(try run(threads: 7).map(\.bitPattern) == one.map(\.bitPattern))
    }
}
