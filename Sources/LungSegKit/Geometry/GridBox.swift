import AHNet

/// A box of a grid: its first voxel `lower` (inclusive) and its size; `upper` is exclusive. The
/// body crop is one (of the oriented input grid), and so is the box the anatomical stages work in
/// (of the crop). Values are copied between a grid and its box in NIfTI order (i fastest).
struct GridBox: Sendable, Equatable {
    let lower: Index3
    let dims: Size3
    var upper: Index3 { lower.zip(dims, +) }

    init(lower: Index3, upper: Index3) {
        self.lower = lower
        dims = upper.zip(lower, -)
    }

    /// The whole of a grid of `dims`.
    init(whole dims: Size3) {
        lower = .zero
        self.dims = dims
    }

    /// The set voxels' bounding box grown by `margin` voxels (clamped to the grid); nil when empty.
    init?(around mask: [UInt8], dims grid: Size3, margin: Int) {
        guard let box = BinaryMask.boundingBox(mask, dims: grid) else { return nil }
        self.init(lower: box.lower.map { max($0 - margin, 0) }, upper: box.upper.zip(grid) { min($0 + margin, $1) })
    }

    /// The box's voxels out of `values` on the grid of `parent` size.
    func extract<T>(_ values: [T], from parent: Size3) -> [T] {
        if lower == .zero && dims == parent { return values }
        guard !values.isEmpty, dims.product > 0 else { return [] }
        let plane = dims.i * dims.j
        // Rows copied straight into uninitialised storage: the box is touched once, not filled first.
        return [T](unsafeUninitializedCapacity: dims.product) { result, initialized in
            values.withUnsafeBufferPointer { values in
                guard let source = values.baseAddress, let target = result.baseAddress else { return }
                // Each slice of the box is its own part of the result.
                ParallelFor.run(0..<dims.k) { slices in
                    for k in slices {
                        for j in 0..<dims.j {
                            let row = parent.offset(of: Index3(lower.i, lower.j + j, lower.k + k))
                            (target + k * plane + j * dims.i).initialize(from: source + row, count: dims.i)
                        }
                    }
                }
            }
            initialized = dims.product
        }
    }

    /// `values` (the box's voxels) written into `target`, a grid of `parent` size.
    func paste<T>(_ values: [T], into target: inout [T], of parent: Size3) {
        values.withUnsafeBufferPointer { values in
            target.withUnsafeMutableBufferPointer { target in
                guard let source = values.baseAddress, let destination = target.baseAddress else { return }
                var offset = 0
                for k in lower.k..<upper.k {
                    for j in lower.j..<upper.j {
                        (destination + parent.offset(of: Index3(lower.i, j, k))).update(from: source + offset, count: dims.i)
                        offset += dims.i
                    }
                }
            }
        }
    }

    /// `values` pasted into a grid of `parent` size that holds `background` elsewhere.
    func embed<T>(_ values: [T], in parent: Size3, background: T) -> [T] {
        var target = [T](repeating: background, count: parent.product)
        paste(values, into: &target, of: parent)
        return target
    }

    /// The affine of the box's own grid: the parent's, moved to the box's first voxel.
    func affine(in parent: Affine) -> Affine {
        let origin = parent.world(Double(lower.i), Double(lower.j), Double(lower.k))
        var rows = parent.rows
        for row in 0..<3 { rows[row][3] = origin[row] }
        return Affine(rows: rows)
    }
}
