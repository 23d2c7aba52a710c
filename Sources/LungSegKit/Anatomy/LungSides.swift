import AHNet

/// Right and left lung (stage 3 of the anatomical post-processing): 1 = right, 2 = left.
///
/// Lungs that touch (at the anterior or posterior junction) are separated along the anatomy: the
/// mask is eroded slice by slice on a ~2.5 mm grid until it falls into two large parts on either
/// side of the midline, and the two parts are grown back through the mask on the input grid
/// (a geodesic race: each voxel goes to the part that reaches it first). Sides are named in world
/// coordinates (RAS+: larger x is the patient's right), never by array index. When no second lung
/// is there (a pneumonectomy, a scan of one side) the one lung is named by its side of the
/// midline, and the outcome says so (without a trachea the caller corrects that name by the lung's
/// chest wall, `OneLungSide`: the body's middle may be the middle of half a chest).
enum LungSides {
    /// How far the erosion goes looking for the junction, mm.
    static let maximumErosionMM = 25.0

    struct Outcome {
        var labels: [UInt8]
        /// 0, 1 or 2.
        var lungCount: Int
        var notes: [PipelineWarning]
    }

    /// Splits `mask` (holes filled, lungs kept) into sides; `midlineX` is the patient's midline in
    /// world x (the trachea, or the body's middle); the erosion's coarse grid starts at
    /// `coarseOrigin` (see `AnatomicalPostprocessing.coarseOrigin`); `allowSmallSecond`: the
    /// component stage took a second lung under a tenth of the first (`LungComponents`).
    /// `mask` is consumed: the labels are written over it.
    static func split(_ mask: consuming [UInt8], grid: AnatomyGrid, midlineX: Double, coarseOrigin: Index3 = .zero,
                      allowSmallSecond: Bool = false) -> Outcome {
        var labels = mask
        let components = MaskRuns(mask: labels, dims: grid.dims)
        let order = components.bySize
        guard let first = order.first else { return Outcome(labels: labels, lungCount: 0, notes: []) }  // all 0
        var partCount = components.sizes.count
        var notes: [PipelineWarning] = []
        let secondIsLung = order.count >= 2
            && LungComponents.isSecondLung(order[1], first: first, components: components, grid: grid, midlineX: midlineX,
                                           allowSmall: allowSmallSecond)
        var lungCount = 1
        // When the largest component holds both lungs, its voxels go to the seed that reaches
        // them first: `owner` 2 marks those of the new part.
        var junction: (owner: [UInt8], part: Int32)?
        if secondIsLung {
            lungCount = 2
        } else {
            let largest = components.paint(count: labels.count, nx: grid.dims.i) { $0 == first ? 1 : 0 }
            if let seeds = junctionSeeds(largest, grid: grid, midlineX: midlineX, origin: coarseOrigin) {
                junction = (race(through: largest, from: seeds, grid: grid), Int32(partCount))
                partCount += 1
                lungCount = 2
                notes.append(.lungsSeparatedAtJunction)
            }
        }
        /// Calls `body(row, i, part)` for every mask voxel in scan order, run by run.
        func forEachVoxel(_ body: (Int, Int, Int) -> Void) {
            for run in 0..<components.first.count {
                let row = Int(components.row[run])
                let component = components.component[run]
                for i in Int(components.first[run])...Int(components.last[run]) {
                    if let junction, component == first, junction.owner[row * grid.dims.i + i] == 2 {
                        body(row, i, Int(junction.part))
                    } else {
                        body(row, i, Int(component))
                    }
                }
            }
        }
        // Each part's side by its centroid; with two lungs, relative to the midpoint between them.
        var sums = [Double](repeating: 0, count: partCount)
        var counts = [Int](repeating: 0, count: partCount)
        let stepX = grid.affine.rows[0][0]
        let (nx, ny) = (grid.dims.i, grid.dims.j)
        // In voxel order, one sum per part (the order fixes the rounding).
        var (rowOfX, rowX) = (-1, 0.0)
        forEachVoxel { row, i, part in
            if row != rowOfX { (rowOfX, rowX) = (row, grid.worldX(0, Double(row % ny), Double(row / ny))) }
            sums[part] += rowX + stepX * Double(i)
            counts[part] += 1
        }
        let centroid = { (part: Int) in sums[part] / Double(max(counts[part], 1)) }
        let lungParts = (1..<partCount).sorted { counts[$0] > counts[$1] }.prefix(lungCount)
        var reference = midlineX
        if lungCount == 2, let a = lungParts.first, let b = lungParts.last {
            reference = (centroid(a) + centroid(b)) / 2
        } else if let only = lungParts.first {
            notes.append(.oneLungOnly(right: centroid(only) > midlineX))
        }
        let side = (0..<partCount).map { part -> UInt8 in part == 0 || counts[part] == 0 ? 0 : (centroid(part) > reference ? 1 : 2) }
        if junction == nil {
            components.paint(into: &labels, nx: nx) { side[Int($0)] }
        } else {
            forEachVoxel { row, i, part in labels[row * nx + i] = side[part] }
        }
        return Outcome(labels: labels, lungCount: lungCount, notes: notes)
    }

    /// Two seeds inside the set voxels of `component` (one component), one each side of the
    /// midline: the two largest parts of the component eroded slice by slice on a coarse grid, as
    /// fine voxel indices; nil when the component does not fall apart into two such parts (one lung).
    static func junctionSeeds(_ component: [UInt8], grid: AnatomyGrid, midlineX: Double, origin: Index3 = .zero) -> ([Int], [Int])? {
        let sampling = CoarseSampling(fine: grid.dims, origin: origin, factors: grid.spacing.map { max(1, Int(2.5 / $0)) })
        let (factors, dims) = (sampling.factors, sampling.dims)
        let fineIndex = sampling.fineIndex
        let fineX = { (i: Int, j: Int, k: Int) in
            let position = sampling.finePosition(i, j, k)
            return grid.worldX(Double(position.i), Double(position.j), Double(position.k))
        }
        var coarse = [UInt8](repeating: 0, count: dims.product)
        for k in 0..<dims.k {
            for j in 0..<dims.j {
                for i in 0..<dims.i where component[fineIndex(i, j, k)] != 0 {
                    coarse[i + dims.i * (j + dims.j * k)] = 1
                }
            }
        }
        let coarseSpacing = grid.spacing.zip(factors) { $0 * Double($1) }
        let steps = Int(maximumErosionMM / min(coarseSpacing.i, coarseSpacing.j))
        for _ in 0..<steps {
            coarse = erodeInPlane(coarse, dims: dims)
            let parts = BinaryMask.label(coarse, dims: dims)
            let order = parts.bySize
            guard order.count >= 2 else {
                if order.isEmpty { return nil }
                continue
            }
            let (a, b) = (order[0], order[1])
            guard parts.sizes[Int(b)] * 100 >= parts.sizes[Int(a)] * 15 else { continue }
            // Both parts must lie on opposite sides of the midline.
            var sums = [0.0, 0.0]
            var index = 0
            for k in 0..<dims.k {
                for j in 0..<dims.j {
                    for i in 0..<dims.i {
                        let part = parts.labels[index]
                        if part == a || part == b {
                            sums[part == a ? 0 : 1] += fineX(i, j, k)
                        }
                        index += 1
                    }
                }
            }
            let xa = sums[0] / Double(parts.sizes[Int(a)])
            let xb = sums[1] / Double(parts.sizes[Int(b)])
            guard (xa - midlineX) * (xb - midlineX) < 0 else { continue }
            var seeds: ([Int], [Int]) = ([], [])
            index = 0
            for k in 0..<dims.k {
                for j in 0..<dims.j {
                    for i in 0..<dims.i {
                        let part = parts.labels[index]
                        index += 1
                        guard part == a || part == b else { continue }
                        let fine = fineIndex(i, j, k)
                        if part == a { seeds.0.append(fine) } else { seeds.1.append(fine) }
                    }
                }
            }
            return seeds
        }
        return nil
    }

    /// One in-plane erosion (4-neighbourhood; the slice border counts as background).
    static func erodeInPlane(_ mask: [UInt8], dims: Size3) -> [UInt8] {
        let (nx, ny) = (dims.i, dims.j)
        var result = mask
        mask.withUnsafeBufferPointer { mask in
            result.withUnsafeMutableBufferPointer { result in
                // Rows are independent (each reads `mask`, writes its own row of `result`).
                ParallelFor.run(0..<(dims.j * dims.k), minimumChunk: 64) { rows in
                    for row in rows {
                        let j = row % ny
                        let start = row * nx
                        for i in 0..<nx where mask[start + i] != 0 {
                            let index = start + i
                            if i == 0 || j == 0 || i == nx - 1 || j == ny - 1 || mask[index - 1] == 0 || mask[index + 1] == 0
                                || mask[index - nx] == 0 || mask[index + nx] == 0 {
                                result[index] = 0
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// One erosion along k (a voxel stays when the voxels above and below it are set; the first
    /// and last slice count as background).
    static func erodeAlongK(_ mask: [UInt8], dims: Size3) -> [UInt8] {
        let plane = dims.i * dims.j
        var result = mask
        mask.withUnsafeBufferPointer { mask in
            result.withUnsafeMutableBufferPointer { result in
                ParallelFor.run(0..<dims.k) { slices in
                    for k in slices {
                        let base = k * plane
                        for index in base..<(base + plane) where mask[index] != 0 {
                            if k == 0 || k == dims.k - 1 || mask[index - plane] == 0 || mask[index + plane] == 0 { result[index] = 0 }
                        }
                    }
                }
            }
        }
        return result
    }

    /// The breadth-first race (6-connected) through the set voxels of `region` from two sets of
    /// seeds: 1 where `seeds.0` arrives first, 2 where `seeds.1` does, 0 for voxels outside the
    /// region or reached by neither.
    static func race(through region: [UInt8], from seeds: ([Int], [Int]), grid: AnatomyGrid) -> [UInt8] {
        let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
        let plane = nx * ny
        var owner = [UInt8](repeating: 0, count: region.count)
        var queue: [Int] = []
        queue.reserveCapacity(seeds.0.count + seeds.1.count)
        for index in seeds.0 where region[index] != 0 { owner[index] = 1; queue.append(index) }
        for index in seeds.1 where region[index] != 0 && owner[index] == 0 { owner[index] = 2; queue.append(index) }
        var head = 0
        while head < queue.count {
            let current = queue[head]
            head += 1
            let i = current % nx
            let j = (current / nx) % ny
            let k = current / plane
            let mark = owner[current]
            func visit(_ next: Int) {
                if owner[next] == 0 && region[next] != 0 {
                    owner[next] = mark
                    queue.append(next)
                }
            }
            if i > 0 { visit(current - 1) }
            if i < nx - 1 { visit(current + 1) }
            if j > 0 { visit(current - nx) }
            if j < ny - 1 { visit(current + nx) }
            if k > 0 { visit(current - plane) }
            if k < nz - 1 { visit(current + plane) }
        }
        return owner
    }
}
