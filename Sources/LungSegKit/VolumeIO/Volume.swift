import AHNet

/// A 3D scalar volume on a voxel grid: intensities as float32 in NIfTI memory order (i fastest,
/// then j, then k), with the grid's geometry and the header it came from.
public struct Volume: Sendable {
    /// Grid size along i, j, k.
    public var dims: Size3
    /// Voxel spacing along i, j, k in millimetres (pixdim[1...3]).
    public var spacing: Spacing3
    /// Voxel-to-world matrix: the sform when sform_code > 0, else the qform, else pixdim scaling.
    public var affine: Affine
    /// `dims.i * dims.j * dims.k` values, scaled by scl_slope/scl_inter.
    public var voxels: [Float]
    /// The source header, for writing outputs on the same grid.
    public var header: NIfTIHeader

    public init(dims: Size3, spacing: Spacing3, affine: Affine, voxels: [Float], header: NIfTIHeader) {
        self.dims = dims
        self.spacing = spacing
        self.affine = affine
        self.voxels = voxels
        self.header = header
    }

    /// Number of voxels.
    public var count: Int { dims.product }

    /// Axis codes of the grid (nibabel's convention), e.g. "LPS".
    public var orientationCode: String { affine.orientationCode }

    /// Smallest and largest intensity.
    public var intensityRange: ClosedRange<Float> {
        let chunks = 64
        var lows = [Float](repeating: .infinity, count: chunks)
        var highs = [Float](repeating: -.infinity, count: chunks)
        voxels.withUnsafeBufferPointer { values in
            lows.withUnsafeMutableBufferPointer { lows in
                highs.withUnsafeMutableBufferPointer { highs in
                    ParallelFor.run(0..<chunks) { parts in
                        for part in parts {
                            let range = (values.count * part / chunks)..<(values.count * (part + 1) / chunks)
                            var (low, high) = (Float.infinity, -Float.infinity)
                            for value in values[range] {
                                low = min(low, value)
                                high = max(high, value)
                            }
                            (lows[part], highs[part]) = (low, high)
                        }
                    }
                }
            }
        }
        return (lows.min() ?? .infinity)...(highs.max() ?? -.infinity)
    }

    /// Index of voxel (i, j, k) in `voxels`.
    @inlinable
    public func index(_ i: Int, _ j: Int, _ k: Int) -> Int { i + dims.i * (j + dims.j * k) }
}
