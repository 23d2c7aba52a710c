import AHNet

/// The trachea and main bronchi, found in the CT itself so that they can be taken out of the lung
/// mask (CIP, TotalSegmentator and lungmask all exclude them).
///
/// The trachea is the round air tube near the body's midline in the upper slices; it is followed
/// down slice by slice (each slice's air regions that touch the airway of the slice above), through
/// the carina (where it becomes two regions) into both main bronchi. Leaks are controlled per
/// region: a region much larger than the airway it continues, or touching the slice border, is
/// where the bronchus opens into the lung, and the branch stops there. Bronchi are followed at
/// most `bronchusMM` below the carina. The tracked lumen is grown by the wall's thickness.
struct Airways: Sendable {
    /// Air inside an airway: the lumen with its partial-volume rim, at the first of these
    /// thresholds at which the airway does not open into the lung.
    static let thresholds: [Float] = [-700, -850, -950]
    static var airHU: Float { thresholds[0] }
    /// How far (mm) a leaking airway is followed only under its own footprint: at least two slices.
    static let leakingMM = 12.0
    /// A trachea's cross-section, mm² (diameters of about 9 to 34 mm).
    static let tracheaArea: ClosedRange<Double> = 60...900
    /// How far from the body's midline the trachea's centre may lie, mm.
    static let midlineMM = 30.0
    /// The trachea must be followed at least this far to count, mm.
    static let minimumLengthMM = 30.0
    /// How far below the carina the main bronchi are followed, mm.
    static let bronchusMM = 75.0
    /// The airway wall, mm, added around the lumen.
    static let wallMM = 2.0
    /// The smallest air region that continues an airway, mm².
    static let minimumRegionMM2 = 12.0
    /// Lung tissue needed on each side of the carina, mm².
    static let flankArea = 1500.0
    /// Lung tissue needed on each side of the carina within `flankBandMM` of its row, mm²: a
    /// carina lies between the lungs, not in front of them (air under the skin of the chest
    /// wall, subcutaneous emphysema, branches as an airway does, with lung on both sides of
    /// the slice but none beside it).
    static let flankBandArea = 100.0
    static let flankBandMM = 5.0
    /// Trachea candidates tried per slice, the most anterior first: air under the skin of the
    /// neck (subcutaneous emphysema) can put round pockets in front of the trachea.
    static let candidatesPerSlice = 4

    /// Lumen and wall on the grid (1 = airway).
    var mask: [UInt8]
    /// World x of the trachea's centre (the patient's midline), mm.
    var tracheaX: Double?
    /// The slice of the carina, if the trachea was followed that far.
    var carinaSlice: Int?
    /// The row (voxel j) of the trachea's centre in the last slice above the carina.
    var carinaRow: Double?
    /// Voxels in `mask`.
    var voxelCount: Int

    /// No airway found on a grid of `count` voxels.
    static func none(_ count: Int) -> Airways {
        Airways(mask: [UInt8](repeating: 0, count: count), tracheaX: nil, carinaSlice: nil, carinaRow: nil, voxelCount: 0)
    }

    /// Finds the airways; `lungSlices` (top to bottom, the slices holding lung) bound where the
    /// trachea may start: above the lungs' middle.
    static func find(hu: [Int16], body: [UInt8], lungs: [UInt8], grid: AnatomyGrid) -> Airways {
        guard grid.isAxial, let lungSlices = grid.occupiedSlices(lungs) else { return none(grid.count) }
        let order = grid.slicesFromTop
        // The trachea starts above the middle of the lungs.
        let middle = (lungSlices.lowerBound + lungSlices.upperBound) / 2
        let searchEnd = order.firstIndex(of: middle) ?? order.count
        let tracker = Tracker(hu: hu, body: body, grid: grid)
        // Where the neck ends (`neckEnd`), looked up only when a carina has one flank.
        var neckEnd: Int?
        // The slices' candidate tubes are found a few slices at a time in parallel (each slice on
        // its own), then followed in order from the top: the first trachea followed to a carina
        // wins, as when the slices were searched one by one.
        let batch = 2 * max(1, ParallelFor.threadCount)
        for first in stride(from: 0, to: searchEnd, by: batch) {
            let positions = first..<min(first + batch, searchEnd)
            var starts = [[[Int]]](repeating: [], count: positions.count)
            starts.withUnsafeMutableBufferPointer { starts in
                ParallelFor.run(0..<positions.count) { pieces in
                    for piece in pieces {
                        starts[piece] = tracheaCandidates(in: order[positions.lowerBound + piece], hu: hu, body: body, grid: grid)
                    }
                }
            }
            for (offset, candidates) in starts.enumerated() {
                let position = positions.lowerBound + offset
                for start in candidates {
                    guard let found = tracker.follow(from: start, at: position, order: order), let carina = found.carinaSlice else { continue }
                    let flanks = lungFlanks(carina, lungs: lungs, hu: hu, grid: grid, x: found.tracheaX, row: found.carinaRow)
                    let sides = (0..<2).filter { flanks.slice[$0] >= flankArea && flanks.band[$0] >= flankBandArea }
                    if sides.count == 2 { return found }
                    // With one lung (a pneumonectomy, a collapsed lung) one flank is enough when
                    // the tube comes down from the neck, above the lungs, for a trachea's length
                    // before its carina: a colon seen end-on does neither.
                    guard sides.count == 1, flanks.slice.filter({ $0 >= flankArea }).count == 1,
                          Double(abs(order[position] - carina)) * grid.spacing.k >= minimumLengthMM else { continue }
                    let end = neckEnd ?? Self.neckEnd(lungs: lungs, order: order, grid: grid)
                    neckEnd = end
                    if position < end { return found }
                }
            }
        }
        return none(grid.count)
    }

    /// The pixels of up to `candidatesPerSlice` air regions of slice `k` that may be the trachea
    /// (area, roundness of the outline, near the body's midline, not at the slice's edge), the most
    /// anterior first: the
    /// trachea lies in front of the esophagus, whose air (a patulous esophagus, a gastric pull-up)
    /// makes a tube as round and as near the midline.
    static func tracheaCandidates(in k: Int, hu: [Int16], body: [UInt8], grid: AnatomyGrid) -> [[Int]] {
        let (nx, ny) = (grid.dims.i, grid.dims.j)
        let plane = grid.planeCount
        let base = k * plane
        var labels = [Int32](repeating: 0, count: plane)
        let regions = SliceRegions.label({ Float(hu[base + $0]) < airHU && body[base + $0] != 0 }, width: nx, height: ny, labels: &labels)
        guard let midline = bodyMidline(body, base: base, grid: grid) else { return [] }
        // Round: the outline fills its box as a disc does, holes included (an endotracheal tube
        // leaves a ring of air in the trachea).
        let candidates = regions.indices.filter { number in
            let region = regions[number]
            let area = Double(region.area) * grid.pixelArea
            return tracheaArea.contains(area) && region.aspect <= 2.5
                && abs(region.centroid.i - midline) * grid.spacing.i <= midlineMM
                && region.lowerI > 0 && region.lowerJ > 0 && region.upperI < nx - 1 && region.upperJ < ny - 1
                && (region.fill >= 0.45 || SliceRegions.outlineFill(of: region, number: Int32(number + 1), labels: labels, width: nx) >= 0.45)
        }
        let slice = Double(k)
        let anterior = candidates.map { grid.worldY(regions[$0].centroid.i, regions[$0].centroid.j, slice) }
        let sorted = candidates.indices.sorted { anterior[$0] > anterior[$1] }.map { candidates[$0] }
        return sorted.prefix(Self.candidatesPerSlice).map { number in (0..<plane).filter { labels[$0] == Int32(number + 1) } }
    }

    /// The position in `order` (slices from the top) of the first slice where the mask is as wide
    /// as a lung's flank (`flankArea`, wider than any trachea): above it lies the neck, where only
    /// the trachea runs.
    static func neckEnd(lungs: [UInt8], order: [Int], grid: AnatomyGrid) -> Int {
        let plane = grid.planeCount
        return order.firstIndex { k in
            Double(lungs[(k * plane)..<((k + 1) * plane)].reduce(0) { $0 + Int($1 != 0 ? 1 : 0) }) * grid.pixelArea >= flankArea
        } ?? order.count
    }

    /// Lung tissue fills both sides of a real carina, or one side when there is one lung: the area
    /// (mm²) of mask voxels between -950 and -500 HU on the patient's right and left of the
    /// trachea's x in the carina's slice (`slice`; a flank counts from `flankArea`: gas in the
    /// bowel, the other tube that can look like a trachea and carina, is purer air than that),
    /// and of those within `flankBandMM` of the carina's row (`band`, from `flankBandArea`).
    static func lungFlanks(_ k: Int, lungs: [UInt8], hu: [Int16], grid: AnatomyGrid, x: Double?, row: Double?)
        -> (slice: [Double], band: [Double]) {
        guard let x else { return ([0, 0], [0, 0]) }
        let (nx, ny) = (grid.dims.i, grid.dims.j)
        var areas = [0.0, 0.0]
        var band = [0.0, 0.0]
        let halfBand = max(1.0, (flankBandMM / grid.spacing.j).rounded())
        let base = k * grid.planeCount
        for j in 0..<ny {
            let inBand = row.map { abs(Double(j) - $0) <= halfBand } ?? false
            for i in 0..<nx {
                let index = base + i + nx * j
                guard lungs[index] != 0, hu[index] >= -950, hu[index] <= -500 else { continue }
                let side = grid.worldX(Double(i), Double(j), Double(k)) > x ? 0 : 1
                areas[side] += grid.pixelArea
                if inBand { band[side] += grid.pixelArea }
            }
        }
        return (areas, band)
    }

    /// The middle of the body's left-right extent in a slice, in voxel i.
    static func bodyMidline(_ body: [UInt8], base: Int, grid: AnatomyGrid) -> Double? {
        let (nx, ny) = (grid.dims.i, grid.dims.j)
        var (low, high) = (Int.max, Int.min)
        for j in 0..<ny {
            let row = base + nx * j
            for i in 0..<nx where body[row + i] != 0 {
                low = min(low, i)
                high = max(high, i)
            }
        }
        return low <= high ? Double(low + high) / 2 : nil
    }

    /// Follows an airway down from a region of one slice.
    struct Tracker {
        let hu: [Int16]
        let body: [UInt8]
        let grid: AnatomyGrid

        /// One airway branch being followed: its region in the last slice, and for how many
        /// slices in a row it has been followed only under its own footprint (leaking).
        struct Branch {
            var pixels: [Int]
            var leaking: Int
        }

        func follow(from start: [Int], at startPosition: Int, order: [Int]) -> Airways? {
            let nx = grid.dims.i
            let plane = grid.planeCount
            var lumen = [UInt8](repeating: 0, count: grid.count)
            var branches = [Branch(pixels: start, leaking: 0)]
            var labels = [Int32](repeating: 0, count: plane)
            var carina: Int?
            var sumX = 0.0
            var counted = 0
            var lastRow: Double?
            // The trachea's pixels in the slice above.
            var tracheaPixels = Set(start)
            var followed = 0
            let firstK = order[startPosition]
            // The lumen's voxels as they are set, so that growing and counting need no scan of the grid.
            var lumenVoxels: [Int] = []
            func mark(_ index: Int) {
                if lumen[index] == 0 {
                    lumen[index] = 1
                    lumenVoxels.append(index)
                }
            }
            for pixel in start { mark(firstK * plane + pixel) }
            for position in (startPosition + 1)..<order.count {
                let k = order[position]
                let base = k * plane
                if let carina, Double(abs(k - carina)) * grid.spacing.k > Airways.bronchusMM { break }
                // Each branch continues, leaks and stops on its own: a bronchus opening into the
                // lung on one side does not end the other.
                var next: [Branch] = []
                var taken = Set<Int>()
                for branch in branches {
                    guard let continued = continuation(in: base, of: [(branch.pixels, branch.pixels.count)], labels: &labels) else { continue }
                    let leaking = continued.leaked ? branch.leaking + 1 : 0
                    guard leaking <= max(2, Int(Airways.leakingMM / grid.spacing.k)) else { continue }
                    for region in continued.regions {
                        guard let first = region.pixels.first, taken.insert(first).inserted else { continue }
                        next.append(Branch(pixels: region.pixels, leaking: leaking))
                    }
                }
                guard !next.isEmpty else { break }
                if carina == nil {
                    // A branch of the carina continues under the trachea; air beside it
                    // (pneumomediastinum) only touches its edge. A region inside another's box is an
                    // airway within an airway (the lumen of an endotracheal tube), not a branch.
                    let large = next.filter { Double($0.pixels.count) * grid.pixelArea >= 20 && $0.pixels.contains(where: tracheaPixels.contains) }
                        .sorted { $0.pixels.count > $1.pixels.count }
                    let branching = large.enumerated().filter { index, branch in
                        !large[..<index].contains { Self.encloses($0.pixels, branch.pixels, nx: nx) }
                    }.map(\.element)
                    if branching.count >= 2 {
                        carina = k
                    } else if let tracheaRegion = branching.first {
                        let pixels = tracheaRegion.pixels
                        sumX += pixels.reduce(0.0) { $0 + grid.worldX(Double($1 % nx), Double($1 / nx), Double(k)) } / Double(pixels.count)
                        counted += 1
                        lastRow = Double(pixels.reduce(0) { $0 + $1 / nx }) / Double(pixels.count)
                        tracheaPixels = Set(pixels)
                    }
                }
                for branch in next { for pixel in branch.pixels { mark(base + pixel) } }
                branches = next
                followed += 1
            }
            // Without a carina the tube was not a trachea (a colon seen end-on looks the same).
            guard carina != nil else { return nil }
            guard Double(followed) * grid.spacing.k >= Airways.minimumLengthMM else { return nil }
            let wall = grown(lumen, voxels: lumenVoxels)
            return Airways(mask: wall.mask, tracheaX: counted > 0 ? sumX / Double(counted) : nil, carinaSlice: carina,
                           carinaRow: lastRow, voxelCount: wall.count)
        }

        /// Whether the centre of the pixels `inner` lies within the bounding box of `outer` (pixel
        /// indices of one slice, `nx` wide).
        static func encloses(_ outer: [Int], _ inner: [Int], nx: Int) -> Bool {
            guard !outer.isEmpty, !inner.isEmpty else { return false }
            var (lowI, highI, lowJ, highJ) = (Int.max, Int.min, Int.max, Int.min)
            for pixel in outer {
                lowI = min(lowI, pixel % nx)
                highI = max(highI, pixel % nx)
                lowJ = min(lowJ, pixel / nx)
                highJ = max(highJ, pixel / nx)
            }
            let i = Double(inner.reduce(0) { $0 + $1 % nx }) / Double(inner.count)
            let j = Double(inner.reduce(0) { $0 + $1 / nx }) / Double(inner.count)
            return Double(lowI) <= i && i <= Double(highI) && Double(lowJ) <= j && j <= Double(highJ)
        }

        /// The airway in the slice at `base`, continuing `previous` (the airway of the slice above):
        /// the air regions touching it (directly or through one pixel), at the highest threshold
        /// of `thresholds` at which none of them leaks. When even the lowest leaks, a leaking
        /// region keeps only the part under the airway above (`leaked`). Nil when nothing continues.
        func continuation(in base: Int, of previous: [(pixels: [Int], area: Int)], labels: inout [Int32])
            -> (regions: [(pixels: [Int], area: Int)], leaked: Bool)? {
            let (nx, ny) = (grid.dims.i, grid.dims.j)
            let plane = grid.planeCount
            var footprint = [UInt8](repeating: 0, count: plane)
            for region in previous {
                for pixel in region.pixels {
                    let (i, j) = (pixel % nx, pixel / nx)
                    for dj in -1...1 where j + dj >= 0 && j + dj < ny {
                        for di in -1...1 where i + di >= 0 && i + di < nx { footprint[pixel + di + nx * dj] = 1 }
                    }
                }
            }
            for (attempt, threshold) in Airways.thresholds.enumerated() {
                let regions = SliceRegions.label({ Float(hu[base + $0]) < threshold && body[base + $0] != 0 }, width: nx, height: ny, labels: &labels)
                // For each region: the largest airway region above that touches it.
                var reference = [Int](repeating: 0, count: regions.count)
                for region in previous {
                    var touched = Set<Int32>()
                    for pixel in region.pixels {
                        let (i, j) = (pixel % nx, pixel / nx)
                        for dj in -1...1 where j + dj >= 0 && j + dj < ny {
                            for di in -1...1 where i + di >= 0 && i + di < nx {
                                let number = labels[pixel + di + nx * dj]
                                if number > 0 { touched.insert(number) }
                            }
                        }
                    }
                    for number in touched { reference[Int(number) - 1] = max(reference[Int(number) - 1], region.area) }
                }
                // Specks of noise in the lung are not an airway: a region counts from `minimumRegionMM2`,
                // and the regions together must keep a fifth of the branch above (a tube does not
                // shrink fivefold from one slice to the next; at 4 mm voxels a bronchus leaving the
                // slice obliquely can shrink threefold).
                let touching = regions.indices.filter { reference[$0] > 0 && Double(regions[$0].area) * grid.pixelArea >= Airways.minimumRegionMM2 }
                let previousArea = previous.reduce(0) { $0 + $1.area }
                guard touching.reduce(0, { $0 + regions[$1].area }) * 5 >= previousArea else {
                    if attempt == Airways.thresholds.count - 1 { return nil }
                    continue
                }
                let leaks = { (number: Int) -> Bool in
                    let region = regions[number]
                    let grows = Double(region.area) > 2.5 * Double(reference[number]) + 100 / grid.pixelArea
                    let touchesBorder = region.lowerI == 0 || region.lowerJ == 0 || region.upperI == nx - 1 || region.upperJ == ny - 1
                    return grows || touchesBorder || Double(region.area) * grid.pixelArea > Airways.tracheaArea.upperBound * 1.5
                }
                let isLast = attempt == Airways.thresholds.count - 1
                if !isLast && touching.contains(where: leaks) { continue }
                var result: [(pixels: [Int], area: Int)] = []
                var leaked = false
                for number in touching {
                    let label = Int32(number + 1)
                    if leaks(number) {
                        let kept = (0..<plane).filter { labels[$0] == label && footprint[$0] != 0 }
                        if !kept.isEmpty { result.append((kept, kept.count)) }
                        leaked = true
                    } else {
                        let pixels = (0..<plane).filter { labels[$0] == label }
                        result.append((pixels, pixels.count))
                    }
                }
                return result.isEmpty ? nil : (result, leaked)
            }
            return nil
        }

        /// The lumen (`voxels`: its set voxels) grown by the wall's thickness (an ellipsoid of
        /// `wallMM`, at least one pixel in-plane), kept inside the body, and its voxel count.
        func grown(_ lumen: [UInt8], voxels: [Int]) -> (mask: [UInt8], count: Int) {
            let (nx, ny, nz) = (grid.dims.i, grid.dims.j, grid.dims.k)
            let radius = Size3(max(1, Int((Airways.wallMM / grid.spacing.i).rounded())), max(1, Int((Airways.wallMM / grid.spacing.j).rounded())),
                          Int((Airways.wallMM / grid.spacing.k).rounded()))
            var offsets: [(Int, Int, Int)] = []
            for dk in -radius.k...radius.k {
                for dj in -radius.j...radius.j {
                    for di in -radius.i...radius.i {
                        let reach = (0..<3).reduce(0.0) { sum, axis in
                            let step = Double([di, dj, dk][axis])
                            return radius[axis] == 0 ? sum : sum + step * step / Double(radius[axis] * radius[axis])
                        }
                        if reach <= 1 { offsets.append((di, dj, dk)) }
                    }
                }
            }
            var result = lumen
            var count = voxels.count
            for index in voxels {
                let i = index % nx
                let j = (index / nx) % ny
                let k = index / (nx * ny)
                for (di, dj, dk) in offsets {
                    let (a, b, c) = (i + di, j + dj, k + dk)
                    guard a >= 0, a < nx, b >= 0, b < ny, c >= 0, c < nz else { continue }
                    let neighbour = a + nx * (b + ny * c)
                    if body[neighbour] != 0 && result[neighbour] == 0 {
                        result[neighbour] = 1
                        count += 1
                    }
                }
            }
            return (result, count)
        }
    }
}
