import AHNet

/// Why a part of the network's mask was taken out, as the report gives it.
public enum RemovalReason: String, Codable, Sendable, CaseIterable {
    case outsideBody = "outside the body"
    case airways = "trachea and main bronchi"
    case gas = "gas outside the lungs (bowel, stomach, room air)"
    case belowDiaphragm = "below the diaphragm, not connected to a lung"
    case island = "small island far from the lungs"
    case noLung = "no component large enough to be a lung"
}

/// Which connected components of the mask are lung (stage 4 of the anatomical post-processing).
///
/// Gas is dropped by its intensities (`ComponentStatistics.looksLikeGas`). Of the rest, the largest
/// is a lung, and so is the second largest when it does not lie under the first and is at least a
/// tenth of it, or parenchyma of at least `minimumSecondLungML` across the midline (what is left
/// of a lung collapsed by an effusion: the island rule would have dropped it; `isSecondLung`).
/// Any other component is dropped when most of it lies under the lungs (below the diaphragm:
/// stomach or colon gas with stool), or when it is small and more than `nearMM` from them.
/// Components too small to be a lung at all (`minimumLungML`) are dropped when nothing larger is
/// there.
enum LungComponents {
    static let minimumLungML = 5.0
    static let nearMM = 10.0
    /// A second lung smaller than a tenth of the first counts from this volume, across the midline.
    static let minimumSecondLungML = 50.0
    /// ... when at most this share of the first lies on the second's side of the midline (touching
    /// lungs held in one component have about half of it there),
    static let firstBeyondMidline = 0.1
    /// ... and when less than this share of it is pure air: parenchyma (0-20 % measured on what is
    /// left of collapsed lungs), not colon gas mixed with stool under an empty hemithorax (46 %).
    static let smallLungPureAir = 0.35

    /// Whether component `second` of `components` is the second lung beside the largest, `first`:
    /// at least a tenth of it, or, when `allowSmall` (it looks like parenchyma), at least
    /// `minimumSecondLungML` with its centroid across `midlineX` (world x) from a first lung that
    /// keeps to its side (what an effusion leaves of a collapsed lung).
    static func isSecondLung(_ second: Int32, first: Int32, components: MaskRuns, grid: AnatomyGrid, midlineX: Double,
                             allowSmall: Bool) -> Bool {
        let (size, firstSize) = (components.sizes[Int(second)], components.sizes[Int(first)])
        if size * 10 >= firstSize { return true }
        guard allowSmall, Double(size) * grid.voxelML >= minimumSecondLungML else { return false }
        let (ny, stepX) = (grid.dims.j, grid.affine.rows[0][0])
        // Per component: the sum of x, and the voxels right of the midline (x is linear along a row).
        var sums = [0.0, 0.0]
        var right = [0, 0]
        for run in 0..<components.first.count {
            let component = components.component[run]
            guard component == first || component == second else { continue }
            let slot = component == first ? 0 : 1
            let row = Int(components.row[run])
            let x0 = grid.worldX(0, Double(row % ny), Double(row / ny))
            for i in Int(components.first[run])...Int(components.last[run]) {
                let x = x0 + stepX * Double(i)
                sums[slot] += x
                if x > midlineX { right[slot] += 1 }
            }
        }
        let secondIsRight = sums[1] / Double(size) > midlineX
        guard (sums[0] / Double(firstSize) > midlineX) != secondIsRight else { return false }
        let firstOnSecondsSide = secondIsRight ? right[0] : firstSize - right[0]
        return Double(firstOnSecondsSide) <= firstBeyondMidline * Double(firstSize)
    }

    struct Selection {
        var keep: [Bool]
        var removed: [(RemovalReason, Int)]
        /// The components taken as lungs (one or two).
        var lungs: [Int32]
        /// Whether the second lung is under a tenth of the first (see `isSecondLung`).
        var smallSecondLung = false
    }

    /// `midlineX`: the patient's midline in world x; `coarseOrigin`: where the coarse grid of the
    /// "near the lungs" test starts (see `AnatomicalPostprocessing.coarseOrigin`).
    static func select(_ components: MaskRuns, statistics: [ComponentStatistics], grid: AnatomyGrid, midlineX: Double,
                       coarseOrigin: Index3 = .zero) -> Selection {
        let count = components.sizes.count
        var keep = [Bool](repeating: false, count: count)
        var removed: [RemovalReason: Int] = [:]
        let order = components.bySize
        let gas = (0..<count).map { $0 > 0 && statistics[$0].looksLikeGas }
        for label in order where gas[Int(label)] { removed[.gas, default: 0] += components.sizes[Int(label)] }
        let candidates = order.filter { !gas[Int($0)] }
        guard let first = candidates.first, Double(components.sizes[Int(first)]) * grid.voxelML >= minimumLungML else {
            for label in candidates { removed[.noLung, default: 0] += components.sizes[Int(label)] }
            return Selection(keep: keep, removed: Self.sorted(removed), lungs: [])
        }
        var lungs = [first]
        var smallSecondLung = false
        keep[Int(first)] = true
        // Under the first lung alone, and under the first two together, in one pass.
        let unders = fractionsUnder(sets: candidates.count > 1 ? [[first], [first, candidates[1]]] : [[first]], components: components, grid: grid)
        let underFirst = unders[0]
        if candidates.count > 1 {
            let second = candidates[1]
            if underFirst[Int(second)] < 0.5
                && isSecondLung(second, first: first, components: components, grid: grid, midlineX: midlineX,
                                allowSmall: statistics[Int(second)].pureAirFraction < smallLungPureAir) {
                smallSecondLung = components.sizes[Int(second)] * 10 < components.sizes[Int(first)]
                lungs.append(second)
                keep[Int(second)] = true
            }
        }
        let under = lungs.count == 1 ? underFirst : unders[1]
        let near = nearLabels(lungs, components: components, grid: grid, coarseOrigin: coarseOrigin)
        let largest = components.sizes[Int(first)]
        for label in candidates where !keep[Int(label)] {
            let size = components.sizes[Int(label)]
            if under[Int(label)] >= 0.5 {
                removed[.belowDiaphragm, default: 0] += size
            } else if near.contains(label) || size * 10 >= largest {
                keep[Int(label)] = true
            } else {
                removed[.island, default: 0] += size
            }
        }
        return Selection(keep: keep, removed: Self.sorted(removed), lungs: lungs, smallSecondLung: smallSecondLung)
    }

    static func sorted(_ removed: [RemovalReason: Int]) -> [(RemovalReason, Int)] {
        RemovalReason.allCases.compactMap { reason in removed[reason].map { (reason, $0) } }
    }

    /// For each component: the share of its voxels that have one of `lungs` above them in their column.
    static func fractionsUnder(_ lungs: [Int32], components: MaskRuns, grid: AnatomyGrid) -> [Double] {
        fractionsUnder(sets: [lungs], components: components, grid: grid)[0]
    }

    /// `fractionsUnder` for several sets of lungs at once (one pass over the runs for all; at
    /// most 8 sets): one array per set.
    static func fractionsUnder(sets: [[Int32]], components: MaskRuns, grid: AnatomyGrid) -> [[Double]] {
        precondition(sets.count <= 8, "fractionsUnder takes at most 8 sets")
        let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
        let plane = nx * ny
        let labelCount = components.sizes.count
        let up = grid.superiorStep
        // Bit s of membership[label]: the label belongs to set s.
        var membership = [UInt8](repeating: 0, count: labelCount)
        for (s, set) in sets.enumerated() { for label in set { membership[Int(label)] |= 1 << s } }
        // The highest position (in the head-ward direction) of a lung voxel of each set in each
        // column (-1: none). Pieces of j run in parallel: a piece writes only its own columns.
        var tops = [Int32](repeating: -1, count: sets.count * plane)
        let under = membership.withUnsafeBufferPointer { membership in
            tops.withUnsafeMutableBufferPointer { tops in
                ParallelFor.run(0..<ny, minimumChunk: 8) { rows in
                    for k in 0..<nz {
                        let height = Int32(up > 0 ? k : nz - 1 - k)
                        for run in components.runs(inRows: (rows.lowerBound + ny * k)..<(rows.upperBound + ny * k)) {
                            let bits = membership[Int(components.component[run])]
                            guard bits != 0 else { continue }
                            let column = (Int(components.row[run]) % ny) * nx
                            for i in Int(components.first[run])...Int(components.last[run]) {
                                for s in 0..<sets.count where bits & (1 << s) != 0 { tops[s * plane + column + i] = max(tops[s * plane + column + i], height) }
                            }
                        }
                    }
                }
                // Voxels under each set's lungs, per label (integer counts: exact at any thread count).
                let highest = UnsafeBufferPointer(tops)
                return ParallelFor.reduce(0..<ny, minimumChunk: 8, initial: { [Int](repeating: 0, count: sets.count * labelCount) }) { rows, counts in
                    for k in 0..<nz {
                        let height = Int32(up > 0 ? k : nz - 1 - k)
                        for run in components.runs(inRows: (rows.lowerBound + ny * k)..<(rows.upperBound + ny * k)) {
                            let label = Int(components.component[run])
                            let bits = membership[label]
                            let column = (Int(components.row[run]) % ny) * nx
                            for i in Int(components.first[run])...Int(components.last[run]) {
                                for s in 0..<sets.count where highest[s * plane + column + i] > height && bits & (1 << s) == 0 { counts[s * labelCount + label] += 1 }
                            }
                        }
                    }
                } combine: { total, part in
                    for index in total.indices { total[index] += part[index] }
                }
            }
        }
        return (0..<sets.count).map { s in (0..<labelCount).map { Double(under[s * labelCount + $0]) / Double(max(components.sizes[$0], 1)) } }
    }

    /// Components with a voxel within about `nearMM` of the lungs (a box distance on a ~3 mm
    /// grid). Coarse voxel c covers the fine voxels from `coarseOrigin` + c * factor on (voxels
    /// before the origin go to the first).
    static func nearLabels(_ lungs: [Int32], components: MaskRuns, grid: AnatomyGrid, coarseOrigin: Index3 = .zero) -> Set<Int32> {
        let sampling = CoarseSampling(fine: grid.dims, origin: coarseOrigin, factors: grid.spacing.map { max(1, Int(3.0 / $0)) })
        let (factors, coarse) = (sampling.factors, sampling.dims)
        let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
        var mask = [UInt8](repeating: 0, count: coarse.product)
        var lungLabel = [Bool](repeating: false, count: components.sizes.count)
        for label in lungs { lungLabel[Int(label)] = true }
        let coarseI = (0..<nx).map { sampling.block($0, axis: 0) }
        let coarseJ = (0..<ny).map { sampling.block($0, axis: 1) }
        let coarseK = (0..<nz).map { sampling.block($0, axis: 2) }
        let near = coarseI.withUnsafeBufferPointer { coarseI in
            // Each coarse slice is written by the piece that holds it (fine slices are in
            // coarse-slice order, so a piece of coarse slices is a run of fine slices).
            mask.withUnsafeMutableBufferPointer { mask in
                ParallelFor.run(0..<coarse.k) { slices in
                    for k in 0..<nz where slices.contains(coarseK[k]) {
                        for run in components.runs(inRows: (ny * k)..<(ny * (k + 1))) where lungLabel[Int(components.component[run])] {
                            let j = Int(components.row[run]) - ny * k
                            let coarseRow = coarse.i * (coarseJ[j] + coarse.j * coarseK[k])
                            for i in Int(components.first[run])...Int(components.last[run]) { mask[coarseRow + coarseI[i]] = 1 }
                        }
                    }
                }
            }
            let reach = grid.spacing.zip(factors) { Int((nearMM / ($0 * Double($1))).rounded(.up)) }
            let dilated = BoxDilation.apply(mask, dims: coarse, radius: reach)
            // Flags or-ed across pieces: the same at any thread count.
            return dilated.withUnsafeBufferPointer { dilated in
                ParallelFor.reduce(0..<nz, initial: { [Bool](repeating: false, count: components.sizes.count) }) { slices, near in
                    for k in slices {
                        for run in components.runs(inRows: (ny * k)..<(ny * (k + 1))) {
                            let label = Int(components.component[run])
                            guard !near[label] else { continue }
                            let j = Int(components.row[run]) - ny * k
                            let coarseRow = coarse.i * (coarseJ[j] + coarse.j * coarseK[k])
                            for i in Int(components.first[run])...Int(components.last[run]) where dilated[coarseRow + coarseI[i]] != 0 {
                                near[label] = true
                                break
                            }
                        }
                    }
                } combine: { total, part in
                    for label in total.indices where part[label] { total[label] = true }
                }
            }
        }
        return Set(near.indices.filter { near[$0] }.map { Int32($0) })
    }
}

/// Dilation by a box (separable: a running window along each axis).
enum BoxDilation {
    static func apply(_ mask: [UInt8], dims: Size3, radius: Size3) -> [UInt8] {
        var current = mask
        let strides = [1, dims.i, dims.i * dims.j]
        for axis in 0..<3 where radius[axis] > 0 {
            var next = [UInt8](repeating: 0, count: current.count)
            let length = dims[axis]
            let stride = strides[axis]
            let reach = radius[axis]
            // Lines along `axis` start at o * (stride * length) + e, e < stride: each line is
            // written only by itself, so lines run in parallel.
            current.withUnsafeBufferPointer { source in
                next.withUnsafeMutableBufferPointer { target in
                    ParallelFor.run(0..<(current.count / length), minimumChunk: 256) { lines in
                        for line in lines {
                            let (o, e) = line.quotientAndRemainder(dividingBy: stride)
                            let start = o * stride * length + e
                            // Set every position within `reach` of a set one: the nearest set
                            // position before (forward) and after (backward) each, O(length).
                            var lastSet = Int.min / 2
                            for position in 0..<length {
                                if source[start + position * stride] != 0 { lastSet = position }
                                if position - lastSet <= reach { target[start + position * stride] = 1 }
                            }
                            var nextSet = Int.max / 2
                            for position in Swift.stride(from: length - 1, through: 0, by: -1) {
                                if source[start + position * stride] != 0 { nextSet = position }
                                if nextSet - position <= reach { target[start + position * stride] = 1 }
                            }
                        }
                    }
                }
            }
            current = next
        }
        return current
    }
}
