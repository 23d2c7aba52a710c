import AHNet

/// The anatomical post-processing of the thresholded network output, on the oriented, cropped
/// input grid (every stage works on that grid; only the erosion that finds the lungs' junction and
/// the "near the lungs" test use coarser grids, and both only choose, never draw, voxels):
///
/// 1. body (`BodyMask`): mask voxels outside the patient go, unless the lung itself is cut by the
///    field of view (lung tissue at the image border or the reconstruction circle is kept, with a
///    warning);
/// 2. airways (`Airways`): the trachea and main bronchi go, and are measured;
/// 3. components (`LungComponents`): gas (also gas joined to a lung by a thin bridge, and
///    compact pockets of gas held in a lung's base, `GasPockets`), gas below the diaphragm and far
///    islands go;
/// 4. edge (`LungBoundary`): air-like voxels next to the lung join it, then holes inside the lungs
///    (vessels, lesions) are filled;
/// 5. sides (`LungSides`): right and left, split along the junction when they touch; a lung
///    alone without a trachea is named by its chest wall (`OneLungSide`).
struct AnatomicalPostprocessing {
    struct Outcome {
        /// 1 = right lung, 2 = left lung.
        var labels: [UInt8]
        var airways: Airways
        /// Voxels taken out, per reason, in the order the stages ran.
        var removed: [(RemovalReason, Int)]
        var lungCount: Int
        var warnings: [PipelineWarning]
    }

    let grid: AnatomyGrid
    /// Which side faces of the grid are the image's own border (low i, high i, low j, high j): only
    /// there can the field of view cut a lung. A crop's other faces lie in the air around the body.
    var imageFaces = [true, true, true, true]
    /// The voxel of `grid` where the coarse grids of stages 3-5 (gas bridges, "near the lungs",
    /// the junction's erosion) start: the corner of the box around the mask, also when those
    /// stages run on the whole crop, so that both give the same coarse grids and the same mask.
    var coarseOrigin = Index3.zero
    /// How thick a bridge between a lung and gas under it may be and still be broken, mm.
    static let gasBridgeMM = 4.0

    /// `mask` is consumed: the caller's thresholded map becomes the working mask without a copy.
    func run(mask input: consuming [UInt8], hu: [Int16], coarse: CoarseBody?, fillHoles: Bool) -> Outcome {
        var mask = input
        var removed: [(RemovalReason, Int)] = []
        var warnings: [PipelineWarning] = []

        // 1. Body.
        let body = coarse.map { BodyMask.find(hu: hu, grid: grid, coarse: $0) } ?? [UInt8](repeating: 1, count: grid.count)
        let outside = removeOutside(&mask, body: body, hu: hu)
        if outside > 0 { removed.append((.outsideBody, outside)) }

        // 2. Airways, searched above the middle of what the network called lung.
        let airways = Airways.find(hu: hu, body: body, lungs: mask, grid: grid)
        let inAirways = Self.clear(&mask, where: airways.mask, isSet: true)
        if inAirways > 0 { removed.append((.airways, inAirways)) }

        // 3-5 run on the box around what is left (a margin for the edge and the erosions):
        // the same result as on the whole crop, usually a third of the voxels or less. A box of
        // most of the crop is not copied out (the copies would cost more time and memory than
        // the voxels saved); the stages then run on the whole crop with the box's coarse grids.
        let midline = airways.tracheaX ?? bodyMidlineX(body)
        guard let around = GridBox(around: mask, dims: grid.dims, margin: 3) else {
            return Outcome(labels: mask, airways: airways, removed: Self.merged(removed), lungCount: 0, warnings: warnings)
        }
        let wholeCrop = around.dims.product * 4 >= grid.count * 3
        let box = wholeCrop ? GridBox(whole: grid.dims) : around
        var inner = AnatomicalPostprocessing(grid: box.grid(in: grid))
        inner.coarseOrigin = wholeCrop ? around.lower : .zero
        let (labels, lungCount, innerRemoved, innerNotes) = inner.lungsAndSides(
            mask: box.extract(mask, from: grid.dims), hu: box.extract(hu, from: grid.dims), body: box.extract(body, from: grid.dims),
            airways: box.extract(airways.mask, from: grid.dims), fillHoles: fillHoles, midlineX: midline)
        var result = wholeCrop ? labels : box.embed(labels, in: grid.dims, background: UInt8(0))
        var notes = innerNotes
        // A lung alone without a trachea: the body's middle may be the middle of half a chest
        // (a field of view over one side); the side its chest wall faces names it instead.
        if lungCount == 1, airways.tracheaX == nil,
           let right = OneLungSide.isRight(labels: result, body: body, grid: grid, imageFaces: imageFaces),
           let note = notes.firstIndex(of: .oneLungOnly(right: !right)) {
            for index in result.indices where result[index] != 0 { result[index] = 3 - result[index] }
            notes[note] = .oneLungOnly(right: right)
        }
        // What the final mask keeps outside the patient's outline: lung that the image's border cuts.
        let cut = result.withUnsafeBufferPointer { result in
            body.withUnsafeBufferPointer { body in
                ParallelFor.reduce(0..<result.count, minimumChunk: 1 << 16, initial: { 0 }) { range, cut in
                    for index in range where result[index] != 0 && body[index] == 0 { cut += 1 }
                } combine: { $0 += $1 }
            }
        }
        if Double(cut) * grid.voxelML >= 1 {
            warnings.append(.lungCutByImageBorder(ml: Double(cut) * grid.voxelML))
        }
        return Outcome(labels: result, airways: airways, removed: Self.merged(removed + innerRemoved), lungCount: lungCount,
                       warnings: warnings + notes)
    }

    /// Stages 3 to 5 on `grid` (the box around the mask).
    func lungsAndSides(mask input: [UInt8], hu: [Int16], body: [UInt8], airways: [UInt8], fillHoles: Bool, midlineX: Double)
        -> (labels: [UInt8], lungCount: Int, removed: [(RemovalReason, Int)], notes: [PipelineWarning]) {
        var mask = input
        var removed: [(RemovalReason, Int)] = []
        // 3. Gas that touches a lung through the diaphragm's partial volume, then components.
        let attachedGas = separateAttachedGas(&mask, hu: hu) + GasPockets.remove(from: &mask, hu: hu, grid: grid)
        if attachedGas > 0 { removed.append((.gas, attachedGas)) }
        let components = MaskRuns(mask: mask, dims: grid.dims)
        let statistics = ComponentStatistics.collect(components, hu: hu, dims: grid.dims)
        let selection = LungComponents.select(components, statistics: statistics, grid: grid, midlineX: midlineX, coarseOrigin: coarseOrigin)
        components.paint(into: &mask, nx: grid.dims.i) { selection.keep[Int($0)] ? 1 : 0 }
        removed += selection.removed

        // 4. The edge, then holes.
        LungBoundary.refine(&mask, hu: hu, body: body, airways: airways, grid: grid)
        if fillHoles { BinaryMask.fillHoles(in: &mask, dims: grid.dims) }

        // 5. Sides.
        let sides = LungSides.split(consume mask, grid: grid, midlineX: midlineX, coarseOrigin: coarseOrigin,
                                    allowSmallSecond: selection.smallSecondLung)
        return (sides.labels, sides.lungCount, removed, sides.notes)
    }

    /// One entry per reason, in the order of `RemovalReason`.
    static func merged(_ removed: [(RemovalReason, Int)]) -> [(RemovalReason, Int)] {
        RemovalReason.allCases.compactMap { reason -> (RemovalReason, Int)? in
            let voxels = removed.filter { $0.0 == reason }.reduce(0) { $0 + $1.1 }
            return voxels > 0 ? (reason, voxels) : nil
        }
    }

    /// Takes out gas under the lungs that the mask joins to a lung through a thin bridge (colon
    /// or stomach gas under the diaphragm). On a grid of about 2 mm in-plane (every f-th voxel; it
    /// only chooses seeds) the mask is eroded by `gasBridgeMM`, in-plane and along k (at least one
    /// slice), so that such bridges break; the parts
    /// that are gas (`ComponentStatistics.looksLikeGas`, at least 1 mL) and lie mostly under the
    /// lungs then race the other parts back through the mask on the input grid, and what the gas
    /// reaches first goes. Returns the voxels removed.
    func separateAttachedGas(_ mask: inout [UInt8], hu: [Int16]) -> Int {
        let factors = Size3(max(1, Int(2.0 / grid.spacing.i)), max(1, Int(2.0 / grid.spacing.j)), 1)
        let sampling = CoarseSampling(fine: grid.dims, origin: coarseOrigin, factors: factors)
        let dims = sampling.dims
        let coarseGrid = AnatomyGrid(dims: dims, affine: sampling.affine(grid.affine))
        let fine = sampling.fineIndex
        var coarse = [UInt8](repeating: 0, count: coarseGrid.count)
        var coarseHU = [Int16](repeating: 0, count: coarseGrid.count)
        mask.withUnsafeBufferPointer { mask in
            hu.withUnsafeBufferPointer { hu in
                coarse.withUnsafeMutableBufferPointer { coarse in
                    coarseHU.withUnsafeMutableBufferPointer { coarseHU in
                        // Each coarse slice is written by its own piece.
                        ParallelFor.run(0..<dims.k) { slices in
                            for k in slices {
                                for j in 0..<dims.j {
                                    let row = dims.i * (j + dims.j * k)
                                    let fineRow = fine(0, j, k)
                                    for i in 0..<dims.i {
                                        coarse[row + i] = mask[fineRow + i * factors.i]
                                        coarseHU[row + i] = hu[fineRow + i * factors.i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // In-plane and along k: gas under a dome touches the lung from below as often as from the side.
        let steps = max(1, Int((Self.gasBridgeMM / min(coarseGrid.spacing.i, coarseGrid.spacing.j)).rounded()))
        for _ in 0..<steps { coarse = LungSides.erodeInPlane(coarse, dims: dims) }
        for _ in 0..<max(1, Int((Self.gasBridgeMM / coarseGrid.spacing.k).rounded())) { coarse = LungSides.erodeAlongK(coarse, dims: dims) }
        let parts = MaskRuns(mask: coarse, dims: dims)
        guard parts.sizes.count > 2 else { return 0 }
        let statistics = ComponentStatistics.collect(parts, hu: coarseHU, dims: dims)
        let minimum = Int(1.0 / coarseGrid.voxelML)
        let lungs = Array(parts.bySize.filter { !statistics[Int($0)].looksLikeGas }.prefix(2))
        guard !lungs.isEmpty else { return 0 }
        let under = LungComponents.fractionsUnder(lungs, components: parts, grid: coarseGrid)
        let gas = (0..<parts.sizes.count).map { $0 > 0 && parts.sizes[$0] >= minimum && statistics[$0].looksLikeGas && under[$0] >= 0.5 }
        guard gas.contains(true) else { return 0 }
        // The race: every mask voxel goes to the gas or the lung side, whichever reaches it first.
        var seeds: ([Int], [Int]) = ([], [])
        for run in 0..<parts.first.count {
            let row = Int(parts.row[run])
            let (j, k) = (row % dims.j, row / dims.j)
            let isGas = gas[Int(parts.component[run])]
            for i in Int(parts.first[run])...Int(parts.last[run]) {
                if isGas { seeds.1.append(fine(i, j, k)) } else { seeds.0.append(fine(i, j, k)) }
            }
        }
        let owner = LungSides.race(through: mask, from: seeds, grid: grid)
        var removed = 0
        for index in mask.indices where owner[index] == 2 {
            mask[index] = 0
            removed += 1
        }
        return removed
    }

    /// Takes out mask voxels outside the body, except for components that the image's side
    /// border (`imageFaces`) or the reconstruction circle's padding cuts, whose outside part is not
    /// mostly pure air, and that are lung tissue: a wide spread outside, or vessels in the
    /// component (a field of view narrower than the chest, or ending inside it).
    /// Returns the voxels removed (what is kept outside is counted at the end, after every stage).
    func removeOutside(_ mask: inout [UInt8], body: [UInt8], hu: [Int16]) -> Int {
        // Labelling is needed only when the mask reaches the border (a cut lung is possible).
        let sideBorder = sideBorderIndices() + paddingEdge(of: mask, hu: hu)
        guard sideBorder.contains(where: { mask[$0] != 0 }) else {
            return Self.clear(&mask, where: body, isSet: false)
        }
        let components = MaskRuns(mask: mask, dims: grid.dims)
        let outside = ComponentStatistics.collect(components, hu: hu, dims: grid.dims) { body[$0] == 0 }
        // The outside part of a cut lung is its air-like parenchyma (the vessels are tissue, so
        // body): its spread alone is that of room air on some scans (72-86 HU measured, room air
        // 41-78); the whole component holds the vessels that room air does not.
        let whole = ComponentStatistics.collect(components, hu: hu, dims: grid.dims)
        var cutByBorder = [Bool](repeating: false, count: components.sizes.count)
        for index in sideBorder { cutByBorder[Int(components.component(i: index % grid.dims.i, row: index / grid.dims.i))] = true }
        cutByBorder[0] = false
        let minimum = Int(1.0 / grid.voxelML)
        let cutLung = outside.indices.map {
            cutByBorder[$0] && outside[$0].count >= minimum && outside[$0].pureAirFraction < 0.5
                && (outside[$0].looksLikeLungTissue || whole[$0].holdsVessels)
        }
        // Run by run: the voxels outside the body of every component that is not a cut lung.
        var removed = 0
        for run in 0..<components.first.count where !cutLung[Int(components.component[run])] {
            let start = Int(components.row[run]) * grid.dims.i
            for index in (start + Int(components.first[run]))...(start + Int(components.last[run])) where body[index] == 0 {
                mask[index] = 0
                removed += 1
            }
        }
        return removed
    }

    /// Clears the voxels of `mask` where `other` is set (`isSet`) or not set; returns how many
    /// were cleared. Pieces in parallel (integer counts: the same at any thread count).
    static func clear(_ mask: inout [UInt8], where other: [UInt8], isSet: Bool) -> Int {
        mask.withUnsafeMutableBufferPointer { mask in
            other.withUnsafeBufferPointer { other in
                ParallelFor.reduce(0..<mask.count, minimumChunk: 1 << 16, initial: { 0 }) { range, cleared in
                    for index in range where mask[index] != 0 && (other[index] != 0) == isSet {
                        mask[index] = 0
                        cleared += 1
                    }
                } combine: { $0 += $1 }
            }
        }
    }

    /// Below this a voxel is padding outside the reconstruction circle (-2048, -3024), never a
    /// measurement (air reads about -1000).
    static let paddingHU: Int16 = -1500

    /// The mask voxels that touch padding in their slice (4-neighbourhood): where the
    /// reconstruction circle, like the image's border, cuts what lies beyond it.
    func paddingEdge(of mask: [UInt8], hu: [Int16]) -> [Int] {
        let (nx, ny) = (grid.dims.i, grid.dims.j)
        let padding = Self.paddingHU
        // Slices in parallel; the indices only mark components, so their order does not matter.
        return mask.withUnsafeBufferPointer { mask in
            hu.withUnsafeBufferPointer { hu in
                ParallelFor.reduce(0..<grid.dims.k, initial: { [Int]() }) { slices, indices in
                    for k in slices {
                        for j in 0..<ny {
                            let row = nx * (j + ny * k)
                            for i in 0..<nx where mask[row + i] != 0 {
                                let index = row + i
                                if hu[index] < padding || (i > 0 && hu[index - 1] < padding) || (i + 1 < nx && hu[index + 1] < padding)
                                    || (j > 0 && hu[index - nx] < padding) || (j + 1 < ny && hu[index + nx] < padding) {
                                    indices.append(index)
                                }
                            }
                        }
                    }
                } combine: { $0 += $1 }
            }
        }
    }

    /// The voxels on the side faces of the grid that are the image's border (`imageFaces`).
    func sideBorderIndices() -> [Int] {
        let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
        var indices: [Int] = []
        for k in 0..<nz {
            let base = k * nx * ny
            for j in 0..<ny {
                if imageFaces[0] { indices.append(base + nx * j) }
                if imageFaces[1] && nx > 1 { indices.append(base + nx * j + nx - 1) }
            }
            for i in 0..<nx {
                if imageFaces[2] { indices.append(base + i) }
                if imageFaces[3] && ny > 1 { indices.append(base + i + nx * (ny - 1)) }
            }
        }
        return indices
    }

    /// World x of the body's centre (the mean over its voxels). World x is linear along a row,
    /// so each row adds its voxel count and the sum of their i (exact integers); slices run in
    /// parallel and their sums are added in slice order (the same at any thread count).
    func bodyMidlineX(_ body: [UInt8]) -> Double {
        let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
        let stepX = grid.affine.rows[0][0]
        var sums = [Double](repeating: 0, count: nz)
        var counts = [Int](repeating: 0, count: nz)
        body.withUnsafeBufferPointer { body in
            sums.withUnsafeMutableBufferPointer { sums in
                counts.withUnsafeMutableBufferPointer { counts in
                    ParallelFor.run(0..<nz) { slices in
                        for k in slices {
                            for j in 0..<ny {
                                let row = nx * (j + ny * k)
                                var (count, sumI) = (0, 0)
                                for i in 0..<nx where body[row + i] != 0 {
                                    count += 1
                                    sumI += i
                                }
                                guard count > 0 else { continue }
                                sums[k] += Double(count) * grid.worldX(0, Double(j), Double(k)) + stepX * Double(sumI)
                                counts[k] += count
                            }
                        }
                    }
                }
            }
        }
        let count = counts.reduce(0, +)
        return count > 0 ? sums.reduce(0, +) / Double(count) : grid.worldX(Double(nx) / 2, Double(ny) / 2, Double(nz) / 2)
    }
}
