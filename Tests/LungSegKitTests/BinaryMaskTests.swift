import AHNet
import Testing
@testable import LungSegKit

@Suite("Binary masks")
struct BinaryMaskTests {
    /// Two cubes (sizes 8 and 27) and a lone voxel, touching the border and not.
    static let dims = Size3(6, 5, 4)
    static func mask() -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: 6 * 5 * 4)
        func set(_ i: Int, _ j: Int, _ k: Int) { mask[i + 6 * (j + 5 * k)] = 1 }
        for i in 0..<2 { for j in 0..<2 { for k in 0..<2 { set(i, j, k) } } }
        for i in 3..<6 { for j in 2..<5 { for k in 1..<4 { set(i, j, k) } } }
        set(0, 4, 3)
        return mask
    }

    @Test func componentsLargestFirst() {
        let components = BinaryMask.components(Self.mask(), dims: Self.dims)
        #expect(components.map(\.size) == [27, 8, 1])
        let labels = BinaryMask.label(Self.mask(), dims: Self.dims)
        #expect(labels.sizes.dropFirst().sorted() == [1, 8, 27])
        #expect(labels.labels.filter { $0 != 0 }.count == 36)
    }

    @Test func holesAreFilledIn3DButNotOpenCavities() {
        // A hollow 5x5x5 shell with a closed cavity, inside a 7x7x7 volume; a second shell open to one side.
        let dims = Size3(7, 7, 7)
        var mask = [UInt8](repeating: 0, count: 343)
        for k in 1..<6 { for j in 1..<6 { for i in 1..<6 where i == 1 || i == 5 || j == 1 || j == 5 || k == 1 || k == 5 {
            mask[i + 7 * (j + 7 * k)] = 1
        } } }
        let filled = BinaryMask.fillHoles(mask, dims: dims)
        #expect(filled.filter { $0 != 0 }.count == 125)
        var open = mask
        open[3 + 7 * (3 + 7 * 5)] = 0  // a hole in the lid connects the cavity to the outside
        #expect(BinaryMask.fillHoles(open, dims: dims) == open)
    }

    @Test func perSliceFillClosesRingsOnly() {
        // A ring in slice 0 (filled), a U in slice 1 (left open).
        let dims = Size3(5, 5, 2)
        var mask = [UInt8](repeating: 0, count: 50)
        for j in 1..<4 { for i in 1..<4 where i != 2 || j != 2 { mask[i + 5 * j] = 1 } }
        for j in 1..<4 { for i in 1..<4 where i != 2 || j == 3 { mask[25 + i + 5 * j] = 1 } }
        let filled = BinaryMask.fillHolesPerSlice(mask, dims: dims)
        #expect(filled[2 + 5 * 2] == 1)
        #expect(filled[25 + 2 + 5 * 2] == 0)
    }

    @Test func boundingBox() {
        let box = BinaryMask.boundingBox(Self.mask(), dims: Self.dims)
        #expect(box?.lower == Index3(0, 0, 0) && box?.upper == Index3(6, 5, 4))
        #expect(BinaryMask.boundingBox([UInt8](repeating: 0, count: 8), dims: Size3(2, 2, 2)) == nil)
    }

    /// The per-slice fill and the bounding box, slices in parallel pieces, against brute force
    /// at 1, 2 and 7 threads: random slices with rings (holes to fill) and a sparse box.
    @Test(arguments: [1, 2, 7])
    func sliceFillAndBoxAreTheSameAtAnyThreadCount(threads: Int) {
        let dims = Size3(23, 19, 17)
        let draws = SeededWeights.uniform(seed: 11, count: dims.product)
        var mask = draws.map { $0 < 0.5 ? UInt8(1) : 0 }
        // A closed ring in every third slice: its inside is a hole.
        for k in stride(from: 0, to: dims.k, by: 3) {
            for j in 4..<12 { for i in 5..<15 { mask[i + dims.i * (j + dims.j * k)] = (i == 5 || i == 14 || j == 4 || j == 11) ? 1 : 0 } }
        }
        let filled = ParallelFor.$threadCount.withValue(threads) { BinaryMask.fillHolesPerSlice(mask, dims: dims) }
        let plane = dims.i * dims.j
        for k in 0..<dims.k {
            // Brute force: a pixel is outside when 4-connected to the slice's border through unset pixels.
            var outside = [Bool](repeating: false, count: plane)
            var queue = (0..<plane).filter { index in
                let (i, j) = (index % dims.i, index / dims.i)
                return mask[k * plane + index] == 0 && (i == 0 || j == 0 || i == dims.i - 1 || j == dims.j - 1)
            }
            for index in queue { outside[index] = true }
            while let index = queue.popLast() {
                let (i, j) = (index % dims.i, index / dims.i)
                for (a, b) in [(i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)] where a >= 0 && b >= 0 && a < dims.i && b < dims.j {
                    let next = a + dims.i * b
                    if !outside[next] && mask[k * plane + next] == 0 { outside[next] = true; queue.append(next) }
                }
            }
            let expected = (0..<plane).map { mask[k * plane + $0] != 0 || !outside[$0] ? UInt8(1) : 0 }
            #expect(Array(filled[(k * plane)..<((k + 1) * plane)]) == expected, "slice \(k)")
        }
        var sparse = [UInt8](repeating: 0, count: dims.product)
        for (i, j, k) in [(3, 7, 2), (20, 1, 9), (8, 18, 15)] { sparse[i + dims.i * (j + dims.j * k)] = 1 }
        let box = ParallelFor.$threadCount.withValue(threads) { BinaryMask.boundingBox(sparse, dims: dims) }
        #expect(box?.lower == Index3(3, 1, 2) && box?.upper == Index3(21, 19, 16))
    }

    /// The run-based labelling and hole filling equal a plain voxel-by-voxel flood fill, label for
    /// label (numbered by first voxel in scan order), on random masks of several densities.
    @Test(arguments: [0.2, 0.45, 0.6, 0.8])
    func runLabellingEqualsAFloodFill(density: Double) {
        let dims = Size3(23, 17, 11)
        var random = UInt64(density * 1000) + 7
        let mask = (0..<(23 * 17 * 11)).map { _ -> UInt8 in
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return Double(random >> 11) / Double(1 << 53) < density ? 1 : 0
        }
        let (expected, sizes) = Self.floodLabels(mask, dims: dims, set: { $0 != 0 })
        let labels = BinaryMask.label(mask, dims: dims)
        #expect(labels.labels == expected)
        #expect(labels.sizes == sizes)
        // Holes: background components that touch no face.
        let (background, _) = Self.floodLabels(mask, dims: dims, set: { $0 == 0 })
        var touching = Set<Int32>()
        for index in mask.indices where background[index] != 0 {
            let (i, j, k) = (index % 23, (index / 23) % 17, index / (23 * 17))
            if i == 0 || i == 22 || j == 0 || j == 16 || k == 0 || k == 10 { touching.insert(background[index]) }
        }
        let filled = mask.indices.map { mask[$0] != 0 || !touching.contains(background[$0]) ? UInt8(1) : 0 }
        #expect(BinaryMask.fillHoles(mask, dims: dims) == filled)
    }

    /// Reference: 6-connected flood fill, labels in scan order of their first voxel.
    static func floodLabels(_ mask: [UInt8], dims: Size3, set: (UInt8) -> Bool) -> ([Int32], [Int]) {
        var labels = [Int32](repeating: 0, count: mask.count)
        var sizes = [0]
        let (nx, ny, nz) = (dims.i, dims.j, dims.k)
        for start in mask.indices where set(mask[start]) && labels[start] == 0 {
            let label = Int32(sizes.count)
            var stack = [start]
            labels[start] = label
            var size = 0
            while let current = stack.popLast() {
                size += 1
                let (i, j, k) = (current % nx, (current / nx) % ny, current / (nx * ny))
                for (next, inside) in [(current - 1, i > 0), (current + 1, i < nx - 1), (current - nx, j > 0), (current + nx, j < ny - 1),
                                       (current - nx * ny, k > 0), (current + nx * ny, k < nz - 1)]
                where inside && set(mask[next]) && labels[next] == 0 {
                    labels[next] = label
                    stack.append(next)
                }
            }
            sizes.append(size)
        }
        return (labels, sizes)
    }
}

/// The components read from runs (`MaskRuns`) without a label per voxel.
@Suite("Components from runs")
struct MaskRunsComponentTests {
    static let dims = Size3(13, 11, 9)
    /// Slabs of k split at i = 6, with scattered holes: several components, runs of every length.
    static let mask = (0..<dims.product).map { (index: Int) -> UInt8 in
        let (i, j, k) = (index % dims.i, (index / dims.i) % dims.j, index / (dims.i * dims.j))
        return k % 4 == 3 || i == 6 || (i * 5 + j * 3 + k) % 7 == 0 ? 0 : 1
    }

    @Test func theComponentOfEveryVoxelIsItsLabel() {
        let labels = BinaryMask.label(Self.mask, dims: Self.dims)
        let runs = MaskRuns(mask: Self.mask, dims: Self.dims)
        #expect(labels.sizes.count > 4)
        #expect(runs.sizes == labels.sizes)
        #expect(runs.bySize == labels.bySize)
        let looked = (0..<Self.dims.product).map { runs.component(i: $0 % Self.dims.i, row: $0 / Self.dims.i) }
        #expect(looked == labels.labels)
    }

    @Test(arguments: [1, 2, 7])
    func paintingMatchesTheLabels(threads: Int) {
        let labels = BinaryMask.label(Self.mask, dims: Self.dims)
        let runs = MaskRuns(mask: Self.mask, dims: Self.dims)
        let painted = ParallelFor.$threadCount.withValue(threads) { runs.paint(count: Self.mask.count, nx: Self.dims.i) { UInt8($0 % 3) } }
        #expect(painted == labels.labels.map { UInt8($0 % 3) })
        // In place: the runs' voxels relabelled, the others left as they were.
        var relabelled = (0..<Self.mask.count).map { UInt8($0 % 200 + 50) }
        ParallelFor.$threadCount.withValue(threads) { runs.paint(into: &relabelled, nx: Self.dims.i) { UInt8($0 % 2) } }
        #expect(relabelled == labels.labels.indices.map { labels.labels[$0] != 0 ? UInt8(labels.labels[$0] % 2) : UInt8($0 % 200 + 50) })
    }

    /// Statistics from runs equal those added voxel by voxel (count, mean, spread, pure air).
    @Test(arguments: [1, 2, 7])
    func statisticsMatchAVoxelByVoxelSum(threads: Int) {
        let hu = (0..<Self.dims.product).map { Int16(($0 * 7_919) % 1_200) - 1_000 }
        let labels = BinaryMask.label(Self.mask, dims: Self.dims)
        let runs = MaskRuns(mask: Self.mask, dims: Self.dims)
        let statistics = ParallelFor.$threadCount.withValue(threads) { ComponentStatistics.collect(runs, hu: hu, dims: Self.dims) { $0 % 5 != 0 } }
        var expected = [ComponentStatistics](repeating: ComponentStatistics(), count: labels.sizes.count)
        for index in hu.indices where labels.labels[index] != 0 && index % 5 != 0 {
            let (i, j, k) = (index % Self.dims.i, (index / Self.dims.i) % Self.dims.j, index / (Self.dims.i * Self.dims.j))
            expected[Int(labels.labels[index])].add(hu[index], i, j, k)
        }
        #expect(statistics.map(\.count) == expected.map(\.count))
        #expect(statistics.map(\.meanHU) == expected.map(\.meanHU))
        #expect(statistics.map(\.spreadHU) == expected.map(\.spreadHU))
        #expect(statistics.map(\.pureAir) == expected.map(\.pureAir))
        #expect(statistics.map(\.centroid) == expected.map(\.centroid))
    }
}
