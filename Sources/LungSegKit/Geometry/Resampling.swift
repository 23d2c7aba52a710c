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
    public static func linear(_ values: [Float], dims: Size3, to newDims: Size3, scale: Spacing3) -> [Float] {
        var current = values
        var currentDims = dims
        for axis in 0..<3 where !(newDims[axis] == currentDims[axis] && scale[axis] == 1) {
            current = resampleAxis(current, dims: currentDims, axis: axis, length: newDims[axis], scale: scale[axis])
            currentDims[axis] = newDims[axis]
        }
        return current
    }

    private static func resampleAxis(_ values: [Float], dims: Size3, axis: Int, length: Int, scale: Double) -> [Float] {
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
        var result = [Float](repeating: 0, count: newDims.product)
        values.withUnsafeBufferPointer { sourceBuffer in
            result.withUnsafeMutableBufferPointer { targetBuffer in
                guard let source = sourceBuffer.baseAddress, let target = targetBuffer.baseAddress else { return }
                // One line of `inner` elements per (outer, j): disjoint, so in parallel.
                ParallelFor.run(0..<(outer * length), minimumChunk: max(1, 4096 / inner)) { lines in
                    for line in lines {
                        let (o, j) = line.quotientAndRemainder(dividingBy: length)
                        let a = source + o * n * inner + low[j] * inner
                        let b = source + o * n * inner + high[j] * inner
                        let t = target + o * length * inner + j * inner
                        let w = weight[j]
                        for e in 0..<inner { t[e] = a[e] + (b[e] - a[e]) * w }
                    }
                }
            }
        }
        return result
    }
}
