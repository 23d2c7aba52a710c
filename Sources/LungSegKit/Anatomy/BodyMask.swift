import AHNet

/// The patient's body on the input grid: every voxel that air outside the patient does not reach.
///
/// Tissue is above -500 HU. The patient is the largest 3D component of tissue, found on a ~2 mm
/// grid (`CoarseBody`, which also gives the crop). Outside air is flooded, slice by slice, from
/// the slice border through everything that is not patient tissue: room air, the padding outside
/// the reconstruction circle (-1024, -2048 or -3024 HU), the table and what lies under it, and the
/// gap between an arm and the chest where it opens to the side. What the flood does not reach is
/// the body: the patient's tissue and the air it encloses (lungs, airways, bowel gas). Wide air
/// that the flood reaches only through a narrow passage (a lung behind an air channel through the
/// chest wall, the trachea behind a tracheostomy tube) is enclosed too (`NarrowPassages`).
enum BodyMask {
    static let tissueHU: Float = -500
    /// `tissueHU` for the whole-number crop (`WholeHU`).
    static let wholeTissueHU = Int16(tissueHU)

    /// The body on `grid` (the crop at `coarse.offset` of the oriented grid), 1 inside.
    static func find(hu: [Int16], grid: AnatomyGrid, coarse: CoarseBody) -> [UInt8] {
        let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
        let plane = nx * ny
        var body = [UInt8](repeating: 0, count: grid.count)
        // Which fine columns/rows fall on which coarse ones (the crop's offset included).
        let coarseI = (0..<nx).map { (coarse.offset.i + $0) / coarse.factors.i }
        let coarseJ = (0..<ny).map { (coarse.offset.j + $0) / coarse.factors.j }
        hu.withUnsafeBufferPointer { hu in
            coarse.grown.withUnsafeBufferPointer { grown in
                body.withUnsafeMutableBufferPointer { body in
                    // Slices are independent: each chunk of slices floods with its own buffers.
                    ParallelFor.run(0..<nz) { slices in
                        let passable = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: plane)
                        let reached = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: plane)
                        defer {
                            passable.deallocate()
                            reached.deallocate()
                        }
                        var stack: [Int] = []
                        var passages = NarrowPassages(width: nx, height: ny, spacing: (grid.spacing.i, grid.spacing.j))
                        for k in slices {
                            let coarseK = (coarse.offset.k + k) / coarse.factors.k
                            let base = k * plane
                            for j in 0..<ny {
                                // The coarse row under this fine row (nil: outside the coarse grid, no patient).
                                guard let patientRow = coarse.rowStart(coarseJ[j], coarseK) else {
                                    for i in 0..<nx { passable[i + nx * j] = 1 }
                                    continue
                                }
                                for i in 0..<nx {
                                    let tissue = hu[base + i + nx * j] > wholeTissueHU && coarseI[i] < coarse.dims.i && grown[patientRow + coarseI[i]] != 0
                                    passable[i + nx * j] = tissue ? 0 : 1
                                }
                            }
                            SliceRegions.floodFromBorder(passable: UnsafeBufferPointer(passable), width: nx, height: ny, reached: reached, stack: &stack)
                            passages.enclose(passable: UnsafeBufferPointer(passable), reached: reached, stack: &stack)
                            for index in 0..<plane where reached[index] == 0 { body[base + index] = 1 }
                        }
                    }
                }
            }
        }
        return body
    }
}

/// The patient on a grid of about 2 mm (every `factors`-th voxel of the oriented grid): the
/// largest component of tissue, holes filled slice by slice, grown by one coarse voxel so that
/// the skin between two coarse samples belongs to it.
struct CoarseBody: Sendable {
    let mask: [UInt8]
    let dims: Size3
    let factors: Size3
    /// Where the crop the fine stages see starts on the oriented grid.
    var offset = Index3.zero

    /// Largest component above -500 HU with its holes filled per slice; nil when there is none.
    init?(subsampled values: [Float], dims: Size3, factors: Size3) {
        let components = MaskRuns(mask: values.map { $0 > BodyMask.tissueHU ? UInt8(1) : 0 }, dims: dims)
        guard let largest = components.bySize.first else { return nil }
        mask = BinaryMask.fillHolesPerSlice(components.paint(count: values.count, nx: dims.i) { $0 == largest ? 1 : 0 }, dims: dims)
        self.dims = dims
        self.factors = factors
        grown = BoxDilation.apply(mask, dims: dims, radius: .one)
    }

    /// The patient grown by one coarse voxel (26-neighbourhood).
    let grown: [UInt8]

    /// Where row (j, k) of `grown` starts (`isPatient` along i), nil outside the grid.
    func rowStart(_ j: Int, _ k: Int) -> Int? {
        j < dims.j && k < dims.k ? dims.i * (j + dims.j * k) : nil
    }

    /// Whether coarse voxel (i, j, k) is the patient or touches it (26-neighbourhood); outside the grid: no.
    func isPatient(_ i: Int, _ j: Int, _ k: Int) -> Bool {
        guard i < dims.i, j < dims.j, k < dims.k else { return false }
        return grown[i + dims.i * (j + dims.j * k)] != 0
    }
}
