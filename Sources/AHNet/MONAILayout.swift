/// Conversion between MONAI's tensor layout `[N, C, H, W, D]` (D fastest) and lungseg's
/// activation layout `[N][C][D][W][H]` (H fastest: NIfTI voxel order).
public enum MONAILayout {
    /// MONAI `[N, C, H, W, D]` to activation `[N][C][D][W][H]`.
    public static func toActivation(_ values: [Float], batch: Int, channels: Int, h: Int, w: Int, d: Int) -> [Float] {
        transpose(values, planes: batch * channels, outer: h, middle: w, inner: d)
    }

    /// Activation `[N][C][D][W][H]` to MONAI `[N, C, H, W, D]`.
    public static func fromActivation(_ values: [Float], batch: Int, channels: Int, h: Int, w: Int, d: Int) -> [Float] {
        transpose(values, planes: batch * channels, outer: d, middle: w, inner: h)
    }

    /// Reverses the three axes of each plane: `[outer][middle][inner]` to `[inner][middle][outer]`.
    static func transpose(_ values: [Float], planes: Int, outer: Int, middle: Int, inner: Int) -> [Float] {
        let plane = outer * middle * inner
        precondition(values.count == planes * plane, "array does not match the shape")
        var result = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                for p in 0..<planes {
                    let base = p * plane
                    for a in 0..<outer {
                        for b in 0..<middle {
                            let row = base + (a * middle + b) * inner
                            for c in 0..<inner {
                                target[base + (c * middle + b) * outer + a] = source[row + c]
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
