import AHNet

/// The grid the anatomical stages work on: the oriented, cropped input grid, with its third voxel
/// axis running along the patient's inferior-superior axis (the pipeline orients to RAS).
struct AnatomyGrid: Sendable {
    let dims: Size3
    /// Voxel size in mm along each axis.
    let spacing: Spacing3
    /// Voxel to world (RAS+ mm).
    let affine: Affine

    init(dims: Size3, affine: Affine) {
        self.dims = dims
        self.affine = affine
        spacing = affine.columnLengths
    }

    var count: Int { dims.i * dims.j * dims.k }
    var planeCount: Int { dims.i * dims.j }
    /// Area of one pixel of an axial slice, mm².
    var pixelArea: Double { spacing.i * spacing.j }
    /// Volume of one voxel, mL.
    var voxelML: Double { spacing.i * spacing.j * spacing.k / 1000 }

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

    /// World y (RAS+: larger is further anterior) of voxel (i, j, k).
    func worldY(_ i: Double, _ j: Double, _ k: Double) -> Double {
        affine.rows[1][0] * i + affine.rows[1][1] * j + affine.rows[1][2] * k + affine.rows[1][3]
    }

    /// Slices ordered from the head down.
    var slicesFromTop: [Int] { superiorStep > 0 ? Array((0..<dims.k).reversed()) : Array(0..<dims.k) }
}

extension GridBox {
    /// The grid of the box: same spacing, the affine moved to its first voxel.
    func grid(in parent: AnatomyGrid) -> AnatomyGrid { AnatomyGrid(dims: dims, affine: affine(in: parent.affine)) }
}

extension AnatomyGrid {
    /// The slices holding set voxels, as a range of k.
    func occupiedSlices(_ mask: [UInt8]) -> ClosedRange<Int>? {
        let plane = planeCount
        var (low, high) = (Int.max, Int.min)
        for k in 0..<dims.k where mask[(k * plane)..<((k + 1) * plane)].contains(where: { $0 != 0 }) {
            low = min(low, k)
            high = max(high, k)
        }
        return low <= high ? low...high : nil
    }
}
