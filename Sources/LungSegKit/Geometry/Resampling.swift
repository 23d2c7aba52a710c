import AHNet

/// Separable linear resampling between two axis-aligned grids that share their first voxel
/// centre: target voxel j along axis t samples the source at continuous index `j * scale[t]`,
/// clamped to the source (border values extend). Trilinear overall, exact in world position
/// when `scale` is the ratio of the spacings.
public enum Resampling {
    /// Target size along each axis for new spacing: `round(n * spacing / newSpacing)`, at least 1.
    public static func dims(for dims: Size3, spacing: Spacing3, newSpacing: Spacing3) -> Size3 {
        Size3.byAxis { max(1, Int((Double(dims[$0]) * spacing[$0] / newSpacing[$0]).rounded())) }
    }

    /// Resamples `values` (NIfTI order, `dims`) to `newDims`, source index = target index * scale.
    /// The axes go from the one that shrinks most to the one that grows most, so the passes in
    /// between are as small as they can be (a 0.5 mm CT to 5 mm slices shrinks tenfold first
    /// instead of carrying every thin slice through two in-plane passes); the passes commute.
    public static func linear(_ values: [Float], dims: Size3, to newDims: Size3, scale: Spacing3) -> [Float] {
        linear(values, dims: dims, to: newDims, scale: scale) { $0 }
    }

    /// `linear`, with the last pass writing `transform` of each value (a threshold to a mask):
    /// the full-size float result is never made.
    public static func linear<Output>(
        _ values: [Float], dims: Size3, to newDims: Size3, scale: Spacing3, transform: (Float) -> Output
    ) -> [Output] {
        linear(values, dims: dims, to: newDims, scale: scale, input: Float.self, transform: transform)
    }

    /// `linear` on values of another type, read as Float in the first pass (the whole-number crop
    /// is resampled without a float copy of it).
    static func linear<Input: ResamplingInput, Output>(
        _ values: [Input], dims: Size3, to newDims: Size3, scale: Spacing3, input: Input.Type = Input.self, transform: (Float) -> Output
    ) -> [Output] {
        let order = [0, 1, 2].sorted { Double(newDims[$0]) / Double(dims[$0]) < Double(newDims[$1]) / Double(dims[$1]) }
            .filter { !(newDims[$0] == dims[$0] && scale[$0] == 1) }
        guard let first = order.first, let last = order.last else { return values.map { transform($0.resamplingValue) } }
        if first == last {
            return resampleAxis(values, dims: dims, axis: last, length: newDims[last], scale: scale[last], transform: transform)
        }
        var current = resampleAxis(values, dims: dims, axis: first, length: newDims[first], scale: scale[first]) { $0 }
        var currentDims = dims
        currentDims[first] = newDims[first]
        for axis in order.dropFirst().dropLast() {
            current = resampleAxis(current, dims: currentDims, axis: axis, length: newDims[axis], scale: scale[axis]) { $0 }
            currentDims[axis] = newDims[axis]
        }
        return resampleAxis(current, dims: currentDims, axis: last, length: newDims[last], scale: scale[last], transform: transform)
    }

    private static func resampleAxis<Input: ResamplingInput, Output>(
        _ values: [Input], dims: Size3, axis: Int, length: Int, scale: Double, transform: (Float) -> Output
    ) -> [Output] {
        guard length > 0 && !values.isEmpty else { return [] }
        let n = dims[axis]
        var low = [Int](repeating: 0, count: length)
        var high = [Int](repeating: 0, count: length)
        var weight = [Float](repeating: 0, count: length)
        for j in 0..<length {
            let x = min(max(Double(j) * scale, 0), Double(n - 1))
            let base = min(Int(x), n - 1)
            low[j] = base
            high[j] = min(base + 1, n - 1)
            weight[j] = Float(x - Double(base))
        }
        var newDims = dims
        newDims[axis] = length
        let inner = (0..<axis).reduce(1) { $0 * dims[$1] }  // elements per step along the axis
        let outer = ((axis + 1)..<3).reduce(1) { $0 * dims[$1] }
        let result = [Output](unsafeUninitializedCapacity: newDims.product) { targetBuffer, initialized in
            values.withUnsafeBufferPointer { sourceBuffer in
                guard let source = sourceBuffer.baseAddress, let target = targetBuffer.baseAddress else { return }
                // One line of `inner` elements per (outer, j): disjoint, so in parallel.
                ParallelFor.run(0..<(outer * length), minimumChunk: max(1, 4096 / inner)) { lines in
                    for line in lines {
                        let (o, j) = line.quotientAndRemainder(dividingBy: length)
                        let a = source + o * n * inner + low[j] * inner
                        let b = source + o * n * inner + high[j] * inner
                        let t = target + o * length * inner + j * inner
                        let w = weight[j]
                        for e in 0..<inner {
                            let (low, high) = (a[e].resamplingValue, b[e].resamplingValue)
                            (t + e).initialize(to: transform(low + (high - low) * w))
                        }
                    }
                }
            }
            initialized = newDims.product
        }
        return result
    }
}

/// What the resampler reads: float32, or whole HU (the cropped CT, `WholeHU`), as Float.
protocol ResamplingInput {
    var resamplingValue: Float { get }
}

extension Float: ResamplingInput {
    @inline(__always) var resamplingValue: Float { self }
}

extension Int16: ResamplingInput {
    @inline(__always) var resamplingValue: Float { Float(self) }
}
