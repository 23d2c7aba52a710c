import AHNet

/// Size and intensity of each connected component of a mask: what tells lung from gas.
///
/// Lung parenchyma holds vessels and partial-volume walls: its HU spread is wide and few of its
/// voxels are pure air. Bowel and stomach gas, the room and the airway lumen are pure air (below
/// -950 HU, a narrow spread), or air mixed with stool (half pure air, a very wide spread).
struct ComponentStatistics {
    static let pureAirHU: Float = -950

    // Integer sums (HU are whole numbers, `WholeHU`): exact, so pieces may be added in any order.
    var count = 0
    var sum = 0
    var sumSquares = 0
    var pureAir = 0
    /// Voxels above `BodyMask.tissueHU`: vessels and walls in lung, none in room air or gas.
    var tissue = 0
    var sumI = 0, sumJ = 0, sumK = 0

    /// Below this a voxel is padding (outside the reconstruction circle: -2048, -3024), not a
    /// measurement: it counts as air, so that padding does not widen a component's spread.
    static let airFloorHU = -1024

    mutating func add(_ hu: Int16, _ i: Int, _ j: Int, _ k: Int) {
        count += 1
        let value = max(Int(hu), Self.airFloorHU)
        sum += value
        sumSquares += value * value
        if Float(hu) < Self.pureAirHU { pureAir += 1 }
        if hu > BodyMask.wholeTissueHU { tissue += 1 }
        sumI += i
        sumJ += j
        sumK += k
    }

    mutating func add(_ other: ComponentStatistics) {
        count += other.count
        sum += other.sum
        sumSquares += other.sumSquares
        pureAir += other.pureAir
        tissue += other.tissue
        sumI += other.sumI
        sumJ += other.sumJ
        sumK += other.sumK
    }

    var meanHU: Double { count > 0 ? Double(sum) / Double(count) : 0 }
    var spreadHU: Double { count > 1 ? max(0, Double(sumSquares) / Double(count) - meanHU * meanHU).squareRoot() : 0 }
    var pureAirFraction: Double { count > 0 ? Double(pureAir) / Double(count) : 0 }
    var tissueFraction: Double { count > 0 ? Double(tissue) / Double(count) : 0 }
    var centroid: [Double] { [sumI, sumJ, sumK].map { Double($0) / Double(max(count, 1)) } }

    /// Pure air (most voxels below -950 HU), or air and stool (many pure-air voxels and a very wide spread).
    var looksLikeGas: Bool { pureAirFraction >= 0.75 || (pureAirFraction >= 0.35 && spreadHU >= 250) }
    /// Parenchyma: vessels give a spread that room air and gas do not have.
    var looksLikeLungTissue: Bool { pureAirFraction < 0.5 && spreadHU >= 80 }
    /// Holds vessels: at least 3 % of the voxels are tissue (measured: lung at 1-8 mm 5.7-7.4 %;
    /// room air with the skin's partial volume at its edge 0.04-1.7 %).
    var holdsVessels: Bool { tissueFraction >= 0.03 }

    /// Statistics of every component of `components` (index = component), over voxels where
    /// `include` holds. Pieces of rows run in parallel, each with its own statistics, added
    /// together after (integer sums: the same at any thread count).
    static func collect(_ components: MaskRuns, hu: [Int16], dims: Size3, include: (Int) -> Bool = { _ in true }) -> [ComponentStatistics] {
        let labelCount = components.sizes.count
        let (nx, ny) = (dims.i, dims.j)
        return hu.withUnsafeBufferPointer { hu in
            ParallelFor.reduce(0..<(dims.j * dims.k), minimumChunk: 64,
                               initial: { [ComponentStatistics](repeating: ComponentStatistics(), count: labelCount) }) { rows, result in
                for run in components.runs(inRows: rows) {
                    let row = Int(components.row[run])
                    let (j, k) = (row % ny, row / ny)
                    let label = Int(components.component[run])
                    for i in Int(components.first[run])...Int(components.last[run]) {
                        let index = row * nx + i
                        if include(index) { result[label].add(hu[index], i, j, k) }
                    }
                }
            } combine: { total, piece in
                for label in total.indices { total[label].add(piece[label]) }
            }
        }
    }
}
