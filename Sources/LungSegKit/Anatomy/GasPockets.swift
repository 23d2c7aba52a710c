import AHNet

/// Bowel gas that the network's mask holds together with a lung over a broad contact (colon gas
/// under the left diaphragm, where no thin bridge can be cut): found inside the mask as a compact
/// pocket of pure air in the lower third of the lungs, and taken out with its rim.
///
/// Lung never looks like that: its pure-air voxels (below -950 HU: emphysema, low-dose noise) form
/// thin, branching regions (on cip_ct64, COPD, 4 mm voxels: at most 15 % of a region survives one
/// erosion, mean -961 HU), while gas in the bowel fills a smooth volume (48-69 % survives, mean
/// below -980 HU on covidctmd_cap001). A bulla at the lung's base looks the same on its own; what
/// tells them apart is what lies above: bowel gas lies under the diaphragm, so within 10 mm above
/// the top of most of its columns there is tissue (diaphragm and bowel wall, 82-94 % of the
/// columns on covidctmd_cap001's four pockets), where a bulla has lung above it (2-23 % of the
/// columns for the bullae of 18-138 mL `tools/anatomy/robustness.py` puts into three CTs;
/// `tools/anatomy/pocket_walls.py` measures both).
enum GasPockets {
    static let minimumML = 2.0
    static let meanHU = -980.0
    /// Share of the pocket's voxels whose six neighbours are all in it.
    static let minimumCore = 0.4
    /// The rim taken with a pocket (partial-volume voxels of its wall), mm.
    static let rimMM = 2.0
    /// How far above a pocket's top the diaphragm is looked for, mm.
    static let wallSearchMM = 10.0
    /// The share of a pocket's columns with tissue above it that makes it gas under the diaphragm.
    static let minimumWallShare = 2.0 / 3.0

    /// Takes the pockets out of `mask` (in place); returns the voxels removed.
    static func remove(from mask: inout [UInt8], hu: [Int16], grid: AnatomyGrid) -> Int {
        let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
        let plane = nx * ny
        // Most masks hold too few voxels deep inside pure air for any pocket: one pass decides.
        let deep = mask.withUnsafeBufferPointer { mask in
            hu.withUnsafeBufferPointer { hu in
                // Slices in parallel; integer counts: the same at any thread count.
                ParallelFor.reduce(1..<max(nz - 1, 1), initial: { 0 }) { slices, deep in
                    func isPure(_ index: Int) -> Bool { mask[index] != 0 && Float(hu[index]) < ComponentStatistics.pureAirHU }
                    for k in slices {
                        for j in 1..<max(ny - 1, 1) {
                            let row = nx * (j + ny * k)
                            for i in 1..<max(nx - 1, 1) where isPure(row + i) {
                                let index = row + i
                                if isPure(index - 1) && isPure(index + 1) && isPure(index - nx) && isPure(index + nx)
                                    && isPure(index - plane) && isPure(index + plane) {
                                    deep += 1
                                }
                            }
                        }
                    }
                } combine: { $0 += $1 }
            }
        }
        guard Double(deep) * grid.voxelML >= minimumML * minimumCore else { return 0 }
        let pure = zip(mask, hu).map { $0.0 != 0 && Float($0.1) < ComponentStatistics.pureAirHU ? UInt8(1) : 0 }
        let regions = BinaryMask.label(pure, dims: grid.dims)
        guard regions.sizes.count > 1, let slices = grid.occupiedSlices(mask) else { return 0 }
        var sums = [Double](repeating: 0, count: regions.sizes.count)
        var heights = [Double](repeating: 0, count: regions.sizes.count)
        var cores = [Int](repeating: 0, count: regions.sizes.count)
        for index in pure.indices where pure[index] != 0 {
            let label = Int(regions.labels[index])
            let (i, j, k) = (index % nx, (index / nx) % ny, index / plane)
            sums[label] += Double(hu[index])
            heights[label] += Double(grid.superiorStep > 0 ? k - slices.lowerBound : slices.upperBound - k)
            if i > 0, i < nx - 1, j > 0, j < ny - 1, k > 0, k < nz - 1, pure[index - 1] != 0, pure[index + 1] != 0,
               pure[index - nx] != 0, pure[index + nx] != 0, pure[index - plane] != 0, pure[index + plane] != 0 {
                cores[label] += 1
            }
        }
        let lowerThird = Double(slices.upperBound - slices.lowerBound) / 3
        let candidate = (0..<regions.sizes.count).map { label -> Bool in
            let size = Double(regions.sizes[label])
            return label > 0 && size * grid.voxelML >= minimumML && sums[label] / size <= meanHU
                && Double(cores[label]) / size >= minimumCore && heights[label] / size <= lowerThird
        }
        guard candidate.contains(true) else { return 0 }
        let pocket = underTheDiaphragm(candidate, regions: regions, hu: hu, grid: grid)
        guard pocket.contains(true) else { return 0 }
        // The pockets grown by their rim (in-plane `rimMM`, one slice along k), out of the mask.
        var taken = pure.indices.map { pure[$0] != 0 && pocket[Int(regions.labels[$0])] ? UInt8(1) : 0 }
        let radius = Size3(max(1, Int((rimMM / grid.spacing.i).rounded())), max(1, Int((rimMM / grid.spacing.j).rounded())), 1)
        taken = BoxDilation.apply(taken, dims: grid.dims, radius: radius)
        var removed = 0
        for index in mask.indices where mask[index] != 0 && taken[index] != 0 {
            mask[index] = 0
            removed += 1
        }
        return removed
    }

    /// Which `candidates` have tissue (> -500 HU) within `wallSearchMM` above the top of at least
    /// `minimumWallShare` of their columns (columns whose top is the grid's last slice do not count).
    static func underTheDiaphragm(_ candidates: [Bool], regions: BinaryMask.Labels, hu: [Int16], grid: AnatomyGrid) -> [Bool] {
        let (plane, nz) = (grid.dims.i * grid.dims.j, grid.dims.k)
        let up = grid.superiorStep
        // Per candidate: its columns (i + nx j) and the most superior slice it reaches in each.
        var tops = [[Int: Int]](repeating: [:], count: candidates.count)
        for index in regions.labels.indices {
            let label = Int(regions.labels[index])
            guard label > 0, candidates[label] else { continue }
            let (column, k) = (index % plane, index / plane)
            if let top = tops[label][column], (k - top) * up <= 0 { continue }
            tops[label][column] = k
        }
        let steps = max(1, Int((wallSearchMM / grid.spacing.k).rounded()))
        let tissue = BodyMask.wholeTissueHU
        return tops.indices.map { label in
            guard candidates[label] else { return false }
            var (walled, counted) = (0, 0)
            for (column, top) in tops[label] where (0..<nz).contains(top + up) {
                counted += 1
                let above = stride(from: top + up, through: top + steps * up, by: up).lazy.filter { (0..<nz).contains($0) }
                if above.contains(where: { hu[column + plane * $0] > tissue }) { walled += 1 }
            }
            return counted > 0 && Double(walled) >= minimumWallShare * Double(counted)
        }
    }
}
