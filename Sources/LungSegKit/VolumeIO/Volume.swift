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
    public var intensityRange: ClosedRange<Float> { valueSummary.range }

    /// The intensity range, and whether every value is a whole number that Int16 holds (a CT
    /// stored as integers with slope 1: the cropped CT is then kept as Int16 without loss).
    /// One parallel pass; pieces are combined in order (min, max and "and" do not depend on it).
    var valueSummary: (range: ClosedRange<Float>, wholeInt16: Bool) {
        // Integer work only, so that the loop vectorises (a float min/max reduction does not,
        // NaN rules): each float as an integer key ordered like the floats, the smallest and
        // largest key, and flags for a fraction and for NaN. Adding and taking away 1.5 * 2^23
        // rounds to a whole number for |value| <= 2^22 (beyond that the range check says no).
        let summary = voxels.withUnsafeBufferPointer { values in
            ParallelFor.reduce(0..<values.count, minimumChunk: 1 << 16, initial: { (low: Int32.max, high: Int32.min, flags: 0 as UInt32) }) { range, summary in
                var (low, high, flags) = summary
                let magic: Float = 12_582_912
                for index in range {
                    let value = values[index]
                    let bits = Int32(bitPattern: value.bitPattern)
                    let key = bits < 0 ? bits ^ Int32.max : bits
                    low = key < low ? key : low
                    high = key > high ? key : high
                    flags |= ((value + magic) - magic != value ? 1 : 0) | (value != value ? 2 : 0)
                }
                summary = (low, high, flags)
            } combine: { summary, piece in
                summary = (min(summary.low, piece.low), max(summary.high, piece.high), summary.flags | piece.flags)
            }
        }
        guard summary.flags & 2 == 0, summary.low <= summary.high else {
            return (nanSkippingRange, false)
        }
        let float = { (key: Int32) in Float(bitPattern: UInt32(bitPattern: key < 0 ? key ^ Int32.max : key)) }
        let (low, high) = (float(summary.low), float(summary.high))
        return (low...high, summary.flags == 0 && low >= -32768 && high <= 32767)
    }

    /// The range over the values that are not NaN (no reader lets NaN through; a caller's
    /// volume may hold it).
    private var nanSkippingRange: ClosedRange<Float> {
        var (low, high) = (Float.infinity, -Float.infinity)
        for value in voxels where !value.isNaN {
            low = min(low, value)
            high = max(high, value)
        }
        return low <= high ? low...high : .infinity ... .infinity
    }

    /// Index of voxel (i, j, k) in `voxels`.
    @inlinable
    public func index(_ i: Int, _ j: Int, _ k: Int) -> Int { i + dims.i * (j + dims.j * k) }
}
