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
/// is a lung, and so is the second largest when it is at least a tenth of it and does not lie under
/// the first. Any other component is dropped when most of it lies under the lungs (below the
/// diaphragm: stomach or colon gas with stool), or when it is small and more than `nearMM` from
/// them. Components too small to be a lung at all (`minimumLungML`) are dropped when nothing larger is there.
enum LungComponents {
    static let minimumLungML = 5.0
    static let nearMM = 10.0

    struct Selection {
        var keep: [Bool]
        var removed: [(RemovalReason, Int)]
        /// The components taken as lungs (one or two).
        var lungs: [Int32]
    }

    static func select(_ components: BinaryMask.Labels, statistics: [ComponentStatistics], grid: AnatomyGrid) -> Selection {
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
        keep[Int(first)] = true
        let underFirst = fractionsUnder([first], components: components, grid: grid)
        if candidates.count > 1 {
            let second = candidates[1]
            if components.sizes[Int(second)] * 10 >= components.sizes[Int(first)] && underFirst[Int(second)] < 0.5 {
                lungs.append(second)
                keep[Int(second)] = true
            }
        }
        let under = lungs.count == 1 ? underFirst : fractionsUnder(lungs, components: components, grid: grid)
        let near = nearLabels(lungs, components: components, grid: grid)
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
        return Selection(keep: keep, removed: Self.sorted(removed), lungs: lungs)
    }

    static func sorted(_ removed: [RemovalReason: Int]) -> [(RemovalReason, Int)] {
        RemovalReason.allCases.compactMap { reason in removed[reason].map { (reason, $0) } }
    }

    /// For each label: the share of its voxels that have one of `lungs` above them in their column.
    static func fractionsUnder(_ lungs: [Int32], components: BinaryMask.Labels, grid: AnatomyGrid) -> [Double] {
        let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
        let plane = nx * ny
        let up = grid.superiorStep
        // The highest position (in the head-ward direction) of a lung voxel in each column.
        var top = [Int](repeating: Int.min, count: plane)
        var lungLabel = [Bool](repeating: false, count: components.sizes.count)
        for label in lungs { lungLabel[Int(label)] = true }
        let isLung = { (label: Int32) in lungLabel[Int(label)] }
        for k in 0..<nz {
            let height = up > 0 ? k : nz - 1 - k
            for column in 0..<plane where isLung(components.labels[k * plane + column]) { top[column] = max(top[column], height) }
        }
        var under = [Int](repeating: 0, count: components.sizes.count)
        for k in 0..<nz {
            let height = up > 0 ? k : nz - 1 - k
            for column in 0..<plane {
                let label = Int(components.labels[k * plane + column])
                if label != 0 && top[column] > height && !isLung(Int32(label)) { under[label] += 1 }
            }
        }
        return (0..<components.sizes.count).map { Double(under[$0]) / Double(max(components.sizes[$0], 1)) }
    }

    /// Labels with a voxel within about `nearMM` of the lungs (a box distance on a ~3 mm grid).
    static func nearLabels(_ lungs: [Int32], components: BinaryMask.Labels, grid: AnatomyGrid) -> Set<Int32> {
        let factors = grid.spacing.map { max(1, Int(3.0 / $0)) }
        let coarse = grid.dims.dividedRoundingUp(by: factors)
        var mask = [UInt8](repeating: 0, count: coarse.product)
        var lungLabel = [Bool](repeating: false, count: components.sizes.count)
        for label in lungs { lungLabel[Int(label)] = true }
        var index = 0
        for k in 0..<grid.dims.k {
            for j in 0..<grid.dims.j {
                for i in 0..<grid.dims.i {
                    if lungLabel[Int(components.labels[index])] {
                        mask[i / factors.i + coarse.i * (j / factors.j + coarse.j * (k / factors.k))] = 1
                    }
                    index += 1
                }
            }
        }
        let reach = grid.spacing.zip(factors) { Int((nearMM / ($0 * Double($1))).rounded(.up)) }
        mask = BoxDilation.apply(mask, dims: coarse, radius: reach)
        var near = Set<Int32>()
        index = 0
        for k in 0..<grid.dims.k {
            for j in 0..<grid.dims.j {
                for i in 0..<grid.dims.i {
                    let label = components.labels[index]
                    if label != 0 && mask[i / factors.i + coarse.i * (j / factors.j + coarse.j * (k / factors.k))] != 0 { near.insert(label) }
                    index += 1
                }
            }
        }
        return near
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
                            // Set every position within `reach` of a set one.
                            for position in 0..<length where source[start + position * stride] != 0 {
                                for p in max(0, position - reach)...min(length - 1, position + reach) { target[start + p * stride] = 1 }
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
