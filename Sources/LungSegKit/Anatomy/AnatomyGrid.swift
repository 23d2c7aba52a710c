/// The grid the anatomical stages work on: the oriented, cropped input grid, with its third voxel
/// axis running along the patient's inferior-superior axis (the pipeline orients to RAS).
struct AnatomyGrid: Sendable {
    let dims: [Int]
    /// Voxel size in mm along each axis.
    let spacing: [Double]
    /// Voxel to world (RAS+ mm).
    let affine: Affine

    init(dims: [Int], affine: Affine) {
        self.dims = dims
        self.affine = affine
        spacing = affine.columnLengths
    }

    var count: Int { dims[0] * dims[1] * dims[2] }
    var planeCount: Int { dims[0] * dims[1] }
    /// Area of one pixel of an axial slice, mm².
    var pixelArea: Double { spacing[0] * spacing[1] }
    /// Volume of one voxel, mL.
    var voxelML: Double { spacing[0] * spacing[1] * spacing[2] / 1000 }

    /// Whether the axes are as the stages need them: axis 2 inferior-superior, axis 0 left-right.
    var isAxial: Bool {
        let code = Array(affine.orientationCode)
        return code.count == 3 && "SI".contains(code[2]) && "RL".contains(code[0])
    }

    /// +1 when k grows toward the patient's head, -1 when it grows toward the feet.
    var superiorStep: Int { affine.rows[2][2] >= 0 ? 1 : -1 }

    /// World x (RAS+: larger is further to the patient's right) of voxel (i, j, k).
    func worldX(_ i: Double, _ j: Double, _ k: Double) -> Double {
        affine.rows[0][0] * i + affine.rows[0][1] * j + affine.rows[0][2] * k + affine.rows[0][3]
    }

    /// Slices ordered from the head down.
    var slicesFromTop: [Int] { superiorStep > 0 ? Array((0..<dims[2]).reversed()) : Array(0..<dims[2]) }
}

/// A box of an `AnatomyGrid` (lower inclusive, upper exclusive per axis): the stages after the
/// airways run on the box around the mask, which holds a third or less of the crop's voxels.
struct GridBox {
    let lower: [Int]
    let upper: [Int]
    var dims: [Int] { (0..<3).map { upper[$0] - lower[$0] } }

    /// The set voxels' bounding box grown by `margin` voxels (clamped to the grid); nil when empty.
    init?(around mask: [UInt8], grid: AnatomyGrid, margin: Int) {
        guard let box = BinaryMask.boundingBox(mask, dims: grid.dims) else { return nil }
        lower = box.lower.map { max($0 - margin, 0) }
        upper = (0..<3).map { min(box.upper[$0] + margin, grid.dims[$0]) }
    }

    /// The grid of the box: same spacing, the affine moved to its first voxel.
    func grid(in parent: AnatomyGrid) -> AnatomyGrid {
        let origin = parent.affine.world(Double(lower[0]), Double(lower[1]), Double(lower[2]))
        var rows = parent.affine.rows
        for row in 0..<3 { rows[row][3] = origin[row] }
        return AnatomyGrid(dims: dims, affine: Affine(rows: rows))
    }

    func extract<T>(_ values: [T], from parent: AnatomyGrid) -> [T] {
        var result: [T] = []
        result.reserveCapacity(dims.reduce(1, *))
        for k in lower[2]..<upper[2] {
            for j in lower[1]..<upper[1] {
                let row = parent.dims[0] * (j + parent.dims[1] * k)
                result.append(contentsOf: values[(row + lower[0])..<(row + upper[0])])
            }
        }
        return result
    }

    func paste<T>(_ values: [T], into target: inout [T], of parent: AnatomyGrid) {
        let width = upper[0] - lower[0]
        var source = 0
        for k in lower[2]..<upper[2] {
            for j in lower[1]..<upper[1] {
                let row = parent.dims[0] * (j + parent.dims[1] * k) + lower[0]
                target.replaceSubrange(row..<(row + width), with: values[source..<(source + width)])
                source += width
            }
        }
    }
}

extension AnatomyGrid {
    /// The slices holding set voxels, as a range of k.
    func occupiedSlices(_ mask: [UInt8]) -> ClosedRange<Int>? {
        let plane = planeCount
        var (low, high) = (Int.max, Int.min)
        for k in 0..<dims[2] where mask[(k * plane)..<((k + 1) * plane)].contains(where: { $0 != 0 }) {
            low = min(low, k)
            high = max(high, k)
        }
        return low <= high ? low...high : nil
    }
}
