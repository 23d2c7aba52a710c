/// The anatomical post-processing of the thresholded network output, on the oriented, cropped
/// input grid (every stage works on that grid; only the erosion that finds the lungs' junction and
/// the "near the lungs" test use coarser grids, and both only choose, never draw, voxels):
///
/// 1. body (`BodyMask`): mask voxels outside the patient go, unless the lung itself is cut by the
///    field of view (lung tissue at the image border is kept, with a warning);
/// 2. airways (`Airways`): the trachea and main bronchi go, and are measured;
/// 3. components (`LungComponents`): gas (also gas joined to a lung by a thin bridge), gas
///    below the diaphragm and far islands go;
/// 4. edge (`LungBoundary`): air-like voxels next to the lung join it, then holes inside the lungs
///    (vessels, lesions) are filled;
/// 5. sides (`LungSides`): right and left, split along the junction when they touch.
struct AnatomicalPostprocessing {
    struct Outcome {
        /// 1 = right lung, 2 = left lung.
        var labels: [UInt8]
        var airways: Airways
        /// Voxels taken out, per reason, in the order the stages ran.
        var removed: [(RemovalReason, Int)]
        var lungCount: Int
        var warnings: [String]
    }

    let grid: AnatomyGrid
    /// How thick a bridge between a lung and gas under it may be and still be broken, mm.
    static let gasBridgeMM = 4.0

    func run(mask input: [UInt8], hu: [Float], coarse: CoarseBody?, fillHoles: Bool) -> Outcome {
        var mask = input
        var removed: [(RemovalReason, Int)] = []
        var warnings: [String] = []

        // 1. Body.
        let body = coarse.map { BodyMask.find(hu: hu, grid: grid, coarse: $0) } ?? [UInt8](repeating: 1, count: grid.count)
        let (outside, cut) = removeOutside(&mask, body: body, hu: hu)
        if outside > 0 { removed.append((.outsideBody, outside)) }
        if cut > 0 {
            warnings.append(String(format: "%.0f mL of lung lies outside the patient's outline: the field of view cuts the lungs", Double(cut) * grid.voxelML))
        }

        // 2. Airways, searched above the middle of what the network called lung.
        let airways = Airways.find(hu: hu, body: body, lungs: mask, grid: grid)
        var inAirways = 0
        for index in mask.indices where mask[index] != 0 && airways.mask[index] != 0 {
            mask[index] = 0
            inAirways += 1
        }
        if inAirways > 0 { removed.append((.airways, inAirways)) }

        // 3. Gas that touches a lung through the diaphragm's partial volume, then components.
        let attachedGas = separateAttachedGas(&mask, hu: hu)
        if attachedGas > 0 { removed.append((.gas, attachedGas)) }
        let components = BinaryMask.label(mask, dims: grid.dims)
        let statistics = ComponentStatistics.collect(labels: components.labels, labelCount: components.sizes.count, hu: hu, dims: grid.dims)
        let selection = LungComponents.select(components, statistics: statistics, grid: grid)
        for index in mask.indices where mask[index] != 0 && !selection.keep[Int(components.labels[index])] { mask[index] = 0 }
        removed += selection.removed

        // 4. The edge, then holes.
        LungBoundary.refine(&mask, hu: hu, body: body, airways: airways.mask, grid: grid)
        if fillHoles { mask = BinaryMask.fillHoles(mask, dims: grid.dims) }

        // 5. Sides.
        let midline = airways.tracheaX ?? bodyMidlineX(body)
        let sides = LungSides.split(mask, grid: grid, midlineX: midline)
        warnings += sides.notes
        // One entry per reason, in the order of `RemovalReason`.
        let merged = RemovalReason.allCases.compactMap { reason -> (RemovalReason, Int)? in
            let voxels = removed.filter { $0.0 == reason }.reduce(0) { $0 + $1.1 }
            return voxels > 0 ? (reason, voxels) : nil
        }
        return Outcome(labels: sides.labels, airways: airways, removed: merged, lungCount: sides.lungCount, warnings: warnings)
    }

    /// Takes out gas under the lungs that the mask joins to a lung through a thin bridge (colon
    /// or stomach gas under the diaphragm): the mask is eroded by `gasBridgeMM` in-plane so that such
    /// bridges break, the parts that are gas (`ComponentStatistics.looksLikeGas`, at least 1 mL)
    /// and lie mostly under the lungs race the other parts back through the mask, and what the gas
    /// reaches first goes. Returns the voxels removed.
    func separateAttachedGas(_ mask: inout [UInt8], hu: [Float]) -> Int {
        let steps = max(1, Int((Self.gasBridgeMM / min(grid.spacing[0], grid.spacing[1])).rounded()))
        var eroded = mask
        for _ in 0..<steps { eroded = LungSides.erodeInPlane(eroded, dims: grid.dims) }
        let parts = BinaryMask.label(eroded, dims: grid.dims)
        guard parts.sizes.count > 2 else { return 0 }
        let statistics = ComponentStatistics.collect(labels: parts.labels, labelCount: parts.sizes.count, hu: hu, dims: grid.dims)
        let minimum = Int(1.0 / grid.voxelML)
        let lungs = Array(parts.bySize.filter { !statistics[Int($0)].looksLikeGas }.prefix(2))
        guard !lungs.isEmpty else { return 0 }
        let under = LungComponents.fractionsUnder(lungs, components: parts, grid: grid)
        let gas = (0..<parts.sizes.count).map { $0 > 0 && parts.sizes[$0] >= minimum && statistics[$0].looksLikeGas && under[$0] >= 0.5 }
        guard gas.contains(true) else { return 0 }
        // The race: every mask voxel goes to the gas or the lung side, whichever reaches it first.
        var sides = mask.map { Int32($0) }
        var seeds: ([Int], [Int]) = ([], [])
        for index in parts.labels.indices where parts.labels[index] != 0 {
            if gas[Int(parts.labels[index])] { seeds.1.append(index) } else { seeds.0.append(index) }
        }
        LungSides.grow(&sides, from: seeds, labels: (1, 2), grid: grid)
        var removed = 0
        for index in mask.indices where sides[index] == 2 {
            mask[index] = 0
            removed += 1
        }
        return removed
    }

    /// Takes out mask voxels outside the body, except for components that the image's side
    /// border cuts and whose outside part is lung tissue (a field of view narrower than the chest).
    /// Returns the voxels removed and those kept that way.
    func removeOutside(_ mask: inout [UInt8], body: [UInt8], hu: [Float]) -> (removed: Int, cut: Int) {
        let components = BinaryMask.label(mask, dims: grid.dims)
        let outside = ComponentStatistics.collect(labels: components.labels, labelCount: components.sizes.count, hu: hu, dims: grid.dims) { body[$0] == 0 }
        let (nx, ny) = (grid.dims[0], grid.dims[1])
        var cutByBorder = [Bool](repeating: false, count: components.sizes.count)
        for index in components.labels.indices where components.labels[index] != 0 {
            let i = index % nx
            let j = (index / nx) % ny
            if i == 0 || j == 0 || i == nx - 1 || j == ny - 1 { cutByBorder[Int(components.labels[index])] = true }
        }
        let minimum = Int(1.0 / grid.voxelML)
        let cutLung = outside.indices.map { cutByBorder[$0] && outside[$0].count >= minimum && outside[$0].looksLikeLungTissue }
        var removed = 0
        var cut = 0
        for index in mask.indices where mask[index] != 0 && body[index] == 0 {
            if cutLung[Int(components.labels[index])] {
                cut += 1
            } else {
                mask[index] = 0
                removed += 1
            }
        }
        return (removed, cut)
    }

    /// World x of the body's centre (the mean over its voxels).
    func bodyMidlineX(_ body: [UInt8]) -> Double {
        var sum = 0.0
        var count = 0
        var index = 0
        for k in 0..<grid.dims[2] {
            for j in 0..<grid.dims[1] {
                for i in 0..<grid.dims[0] {
                    if body[index] != 0 {
                        sum += grid.worldX(Double(i), Double(j), Double(k))
                        count += 1
                    }
                    index += 1
                }
            }
        }
        return count > 0 ? sum / Double(count) : grid.worldX(Double(grid.dims[0]) / 2, Double(grid.dims[1]) / 2, Double(grid.dims[2]) / 2)
    }
}
