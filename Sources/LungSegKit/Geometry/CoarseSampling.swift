import AHNet

/// Every `factors`-th voxel of a fine grid, starting at `origin`: the coarse grids the anatomical
/// stages choose on (gas bridges, "near the lungs", the junction's erosion). Coarse voxel c is
/// fine voxel `origin + c * factors`; a fine voxel belongs to the coarse voxel whose block holds
/// it (voxels before the origin to the first).
struct CoarseSampling {
    let fine: Size3
    let origin: Index3
    let factors: Size3

    /// The coarse grid's size (the last block may be short).
    var dims: Size3 { fine.zip(origin) { $0 - $1 }.dividedRoundingUp(by: factors) }

    /// The fine voxel that coarse voxel (i, j, k) samples.
    func finePosition(_ i: Int, _ j: Int, _ k: Int) -> Index3 {
        Index3(origin.i + i * factors.i, origin.j + j * factors.j, origin.k + k * factors.k)
    }

    /// `finePosition` as an index of the fine grid's storage.
    func fineIndex(_ i: Int, _ j: Int, _ k: Int) -> Int { fine.offset(of: finePosition(i, j, k)) }

    /// The coarse position along `axis` whose block holds fine position `position`.
    func block(_ position: Int, axis: Int) -> Int { max(0, position - origin[axis]) / factors[axis] }

    /// The coarse grid's voxel-to-world matrix, from the fine grid's.
    func affine(_ fineAffine: Affine) -> Affine {
        var rows = fineAffine.rows
        for row in 0..<3 {
            rows[row][3] += (0..<3).reduce(0.0) { $0 + rows[row][$1] * Double(origin[$1]) }
            for axis in 0..<3 { rows[row][axis] *= Double(factors[axis]) }
        }
        return Affine(rows: rows)
    }
}
