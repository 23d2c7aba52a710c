/// The lung's edge on the input grid (a stage of the anatomical post-processing): voxels next to
/// the lung that are air-like (below -500 HU), inside the body and not airway, join it.
///
/// The network works on 0.8 x 0.8 x 5 mm voxels and its probability is interpolated back, so on
/// coarse input grids its edge falls one voxel inside the pleura, where the partial-volume voxels
/// are still more air than tissue (on cip_ct64, 4 mm voxels: 160 mL missed, median -540 HU, all
/// one voxel deep). One step only, and only into air-like voxels: the mask never grows into the
/// chest wall, the mediastinum or the diaphragm, and never shrinks (lesions at the pleura stay).
enum LungBoundary {
    static let airLikeHU: Float = -500

    /// Voxels added to `mask` (in place).
    @discardableResult
    static func refine(_ mask: inout [UInt8], hu: [Int16], body: [UInt8], airways: [UInt8], grid: AnatomyGrid) -> Int {
        let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
        let plane = nx * ny
        // Slices in parallel, each listing its voxels from the unchanged mask; set after.
        let added = mask.withUnsafeBufferPointer { mask in
            hu.withUnsafeBufferPointer { hu in
                body.withUnsafeBufferPointer { body in
                    airways.withUnsafeBufferPointer { airways in
                        ParallelFor.reduce(0..<nz, initial: { [Int]() }) { slices, added in
                            for k in slices {
                                for j in 0..<ny {
                                    let row = nx * (j + ny * k)
                                    for i in 0..<nx {
                                        let index = row + i
                                        guard mask[index] == 0, Float(hu[index]) < airLikeHU, body[index] != 0, airways[index] == 0 else { continue }
                                        if (i > 0 && mask[index - 1] != 0) || (i < nx - 1 && mask[index + 1] != 0)
                                            || (j > 0 && mask[index - nx] != 0) || (j < ny - 1 && mask[index + nx] != 0)
                                            || (k > 0 && mask[index - plane] != 0) || (k < nz - 1 && mask[index + plane] != 0) {
                                            added.append(index)
                                        }
                                    }
                                }
                            }
                        } combine: { $0 += $1 }
                    }
                }
            }
        }
        for index in added { mask[index] = 1 }
        return added.count
    }
}
