import AHNet
import Foundation
import Testing
@testable import LungSegKit

@Suite("Parallel loops: the same result at any thread count")
struct PipelineThreadCountTests {
    @Test(arguments: [1, 2, 7])
    func everyIndexIsVisitedOnce(threads: Int) {
        for (range, minimumChunk) in [(0..<0, 1), (0..<1, 1), (5..<1000, 1), (3..<20, 8), (0..<7, 1)] {
            var visits = [Int](repeating: 0, count: range.upperBound)
            visits.withUnsafeMutableBufferPointer { visits in
                ParallelFor.$threadCount.withValue(threads) {
                    ParallelFor.run(range, minimumChunk: minimumChunk) { part in
                        for index in part { visits[index] += 1 }
                    }
                }
            }
            #expect(visits.enumerated().allSatisfy { $0.element == (range.contains($0.offset) ? 1 : 0) }, "\(range) at \(threads) threads")
        }
    }

    /// Counts accumulated per piece and added up are the counts of the whole range, at any thread count.
    @Test(arguments: [1, 2, 7])
    func reduceAddsEveryPieceOnce(threads: Int) {
        let values = (0..<10_000).map { ($0 * 7_919) % 13 }
        let expected = values.reduce(into: [Int](repeating: 0, count: 13)) { $0[$1] += 1 }
        for range in [0..<0, 0..<1, 0..<values.count, 17..<5_003] {
            let counts = ParallelFor.$threadCount.withValue(threads) {
                ParallelFor.reduce(range, minimumChunk: 100, initial: { [Int](repeating: 0, count: 13) }) { part, counts in
                    for index in part { counts[values[index]] += 1 }
                } combine: { total, part in
                    for value in total.indices { total[value] += part[value] }
                }
            }
            let direct = values[range].reduce(into: [Int](repeating: 0, count: 13)) { $0[$1] += 1 }
            #expect(counts == direct, "\(range) at \(threads) threads")
        }
        #expect(expected.reduce(0, +) == values.count)
    }

    /// The share of each component under the lungs, for two sets of lungs in one pass, equals
    /// each set on its own and a count made voxel by voxel, at any thread count.
    @Test(arguments: [1, 2, 7])
    func fractionsUnderSeveralSetsAtOnce(threads: Int) {
        let dims = Size3(9, 7, 8)
        let grid = AnatomyGrid(dims: dims, affine: Affine(rows: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, -2, 0], [0, 0, 0, 1]]))
        // Components in three slabs of k (empty slices between) split by an empty plane at i = 4,
        // with scattered holes; k grows toward the feet here (superiorStep -1), so "above" is a
        // smaller k.
        let mask = (0..<dims.product).map { (index: Int) -> UInt8 in
            let (i, j, k) = (index % dims.i, (index / dims.i) % dims.j, index / (dims.i * dims.j))
            return k % 3 == 2 || i == 4 || (i * 5 + j * 3 + k) % 7 == 0 ? 0 : 1
        }
        let labels = BinaryMask.label(mask, dims: dims)
        let sizes = labels.sizes
        #expect(sizes.count == 7)  // six components
        let components = MaskRuns(mask: mask, dims: dims)
        #expect(components.sizes == sizes)
        let sets: [[Int32]] = [[1], [1, 3]]
        let together = ParallelFor.$threadCount.withValue(threads) { LungComponents.fractionsUnder(sets: sets, components: components, grid: grid) }
        for (s, set) in sets.enumerated() {
            #expect(together[s] == LungComponents.fractionsUnder(set, components: components, grid: grid))
            // By hand: a voxel is under the set when a voxel of the set lies above it (smaller k) in its column.
            var under = [Int](repeating: 0, count: sizes.count)
            for index in 0..<dims.product {
                let label = labels.labels[index]
                guard label != 0, !set.contains(label) else { continue }
                let (column, k) = (index % (dims.i * dims.j), index / (dims.i * dims.j))
                if (0..<k).contains(where: { set.contains(labels.labels[column + $0 * dims.i * dims.j]) }) { under[Int(label)] += 1 }
            }
            #expect(together[s] == (0..<sizes.count).map { Double(under[$0]) / Double(max(sizes[$0], 1)) })
        }
    }

    /// The erosions and the body's midline, split by rows and slices across threads, equal a
    /// voxel-by-voxel reference at any thread count.
    @Test(arguments: [1, 2, 7])
    func erosionsAndMidlineAtAnyThreadCount(threads: Int) {
        let dims = Size3(11, 9, 7)
        let mask = (0..<dims.product).map { (index: Int) -> UInt8 in (index * 7) % 5 == 0 ? 0 : 1 }
        let at = { (i: Int, j: Int, k: Int) -> UInt8 in
            i < 0 || j < 0 || k < 0 || i >= dims.i || j >= dims.j || k >= dims.k ? 0 : mask[dims.offset(of: Index3(i, j, k))]
        }
        var inPlane = [UInt8](repeating: 0, count: dims.product)
        var alongK = [UInt8](repeating: 0, count: dims.product)
        var (sumX, count) = (0.0, 0)
        let grid = AnatomyGrid(dims: dims, affine: Affine(rows: [[-0.7, 0, 0, 30], [0, 0.7, 0, -5], [0, 0, 2, 1], [0, 0, 0, 1]]))
        for k in 0..<dims.k {
            for j in 0..<dims.j {
                for i in 0..<dims.i where at(i, j, k) != 0 {
                    let index = dims.offset(of: Index3(i, j, k))
                    let border = i == 0 || j == 0 || i == dims.i - 1 || j == dims.j - 1
                    inPlane[index] = !border && at(i - 1, j, k) != 0 && at(i + 1, j, k) != 0 && at(i, j - 1, k) != 0 && at(i, j + 1, k) != 0 ? 1 : 0
                    alongK[index] = at(i, j, k - 1) != 0 && at(i, j, k + 1) != 0 ? 1 : 0
                    sumX += grid.worldX(Double(i), Double(j), Double(k))
                    count += 1
                }
            }
        }
        ParallelFor.$threadCount.withValue(threads) {
            #expect(LungSides.erodeInPlane(mask, dims: dims) == inPlane)
            #expect(LungSides.erodeAlongK(mask, dims: dims) == alongK)
            #expect(abs(AnatomicalPostprocessing(grid: grid).bodyMidlineX(mask) - sumX / Double(count)) < 1e-9)
        }
    }

    /// The QC picture's label sums, taken on the input grid and mapped to RAS once, equal the sums
    /// of every voxel's RAS index, on a permuted and flipped grid, at any thread count.
    @Test(arguments: [1, 2, 7])
    func labelSumsMapToTheReorientedGrid(threads: Int) throws {
        let dims = Size3(7, 5, 6)
        let affine = Affine(rows: [[0, 0, -2, 10], [-1, 0, 0, 4], [0, 3, 0, -7], [0, 0, 0, 1]])
        let reorientation = try Reorientation(affine: affine, dims: dims, to: "RAS")
        let labels = (0..<dims.product).map { UInt8(($0 * 13) % 6) }  // 0-5; 3, 4 and 5 count as 3
        let sums = ParallelFor.$threadCount.withValue(threads) { LabelSums(labels, dims: dims) }
        for value in 1..<4 {
            let voxels = labels.indices.filter { min(labels[$0], 3) == UInt8(value) }
            #expect(sums.counts[value] == voxels.count)
            for axis in 0..<3 {
                let direct = voxels.reduce(0) { $0 + reorientation.targetIndex(ofSourceOffset: $1)[axis] }
                #expect(reorientation.targetSum(sums.sums[value], count: sums.counts[value], axis: axis) == direct)
            }
        }
    }

    /// The airway voxels' input offsets (found in pieces of 2^18 voxels in parallel, then sorted)
    /// equal the offsets of every set voxel mapped one by one, on a permuted and flipped grid
    /// large enough for seven pieces.
    @Test(arguments: [1, 2, 7])
    func inputOffsetsOfACropMaskAreTheSameAtAnyThreadCount(threads: Int) throws {
        let dims = Size3(131, 127, 125)
        let affine = Affine(rows: [[0, 0, -2, 10], [-1, 0, 0, 4], [0, 3, 0, -7], [0, 0, 0, 1]])
        let reorientation = try Reorientation(affine: affine, dims: dims, to: "RAS")
        let target = reorientation.targetDims
        let crop = GridBox(lower: Index3(3, 1, 2), upper: Index3(target.i - 2, target.j, target.k - 5))
        let mask = SeededWeights.uniform(seed: 21, count: crop.dims.product).map { $0 < 0.01 ? UInt8(1) : 0 }
        var expected: [Int] = []
        for index in mask.indices where mask[index] != 0 {
            let local = Index3(index % crop.dims.i, (index / crop.dims.i) % crop.dims.j, index / (crop.dims.i * crop.dims.j))
            expected.append(reorientation.sourceOffset(of: crop.lower.zip(local, +)))
        }
        let found = ParallelFor.$threadCount.withValue(threads) { MeasureStage.inputOffsets(of: mask, crop: crop, reorientation: reorientation) }
        #expect(found == expected.sorted())
        #expect(found.count > 10_000)
    }

    /// The threshold predictor (on all cores) equals a plain element-by-element threshold.
    @Test(arguments: [1, 2, 7])
    func thresholdPredictorIsTheSameAtAnyThreadCount(threads: Int) throws {
        let predictor = ThresholdPredictor(parameters: .clara)
        let windows = SeededWeights.uniform(seed: 31, count: 2 * 64 * 64 * 32 + 5)
        let predicted = try ParallelFor.$threadCount.withValue(threads) { try predictor.predict(windows, batch: 1, size: Size3(64, 64, 32)) }
        #expect(predicted == windows.map { $0 < predictor.threshold ? 1 : 0 })
        #expect(predicted.contains(1) && predicted.contains(0))
    }

    /// Gather (reorient, crop and subsample in one pass) and scatter equal the reorientation of
    /// the whole grid followed by the crop, for a grid whose axes are permuted and flipped.
    @Test(arguments: [1, 2, 7])
    func gatherAndScatterEqualReorientThenCrop(threads: Int) throws {
        let dims = Size3(7, 5, 6)
        // Voxel axes: i toward posterior, j toward superior, k toward the patient's left: "PSL".
        let affine = Affine(rows: [[0, 0, -2, 10], [-1, 0, 0, 4], [0, 3, 0, -7], [0, 0, 0, 1]])
        let reorientation = try Reorientation(affine: affine, dims: dims, to: "RAS")
        #expect(!reorientation.isIdentity)
        let values = (0..<dims.product).map(Float.init)
        let oriented = reorientation.apply(values)
        let target = reorientation.targetDims
        let box = GridBox(lower: Index3(1, 0, 2), upper: Index3(target.i, target.j - 1, target.k - 1))
        ParallelFor.$threadCount.withValue(threads) {
            #expect(reorientation.gather(values, box: box) == box.extract(oriented, from: target))
            let factors = Size3(2, 3, 1)
            var expected: [Float] = []
            for k in stride(from: 0, to: target.k, by: factors.k) {
                for j in stride(from: 0, to: target.j, by: factors.j) {
                    for i in stride(from: 0, to: target.i, by: factors.i) { expected.append(oriented[target.offset(of: Index3(i, j, k))]) }
                }
            }
            #expect(reorientation.gather(values, box: GridBox(whole: target), every: factors) == expected)
            var scattered = [Float](repeating: -1, count: dims.product)
            reorientation.scatter(box.extract(oriented, from: target), box: box, into: &scattered)
            #expect(scattered == reorientation.invert(box.embed(box.extract(oriented, from: target), in: target, background: -1)))
            let corner = Index3(2, 1, 3)
            #expect(values[reorientation.sourceOffset(of: corner)] == oriented[target.offset(of: corner)])
            #expect(reorientation.targetIndex(ofSourceOffset: reorientation.sourceOffset(of: corner)) == corner)
            #expect(reorientation.invert(oriented) == values)
        }
    }

    /// The whole pipeline (the threshold predictor, the anatomical post-processing, the QC
    /// picture) on a real CT stored LPS: labels, airways, probabilities and picture identical at
    /// 1, 2 and 7 threads.
    @Test func pipelineIsIdenticalAtOneTwoAndSevenThreads() throws {
        let volume = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        let segmenter = LungSegmenter(parameters: .clara)
        let runs = try [1, 2, 7].map { threads in
            try ParallelFor.$threadCount.withValue(threads) {
                let result = try segmenter.segment(volume, predictor: ThresholdPredictor(parameters: .clara))
                let picture = try QCPicture(volume: volume, labels: result.labels, airways: result.airwayVoxels)
                return (result, picture, volume.intensityRange)
            }
        }
        #expect(runs[0].0.labels.contains { $0 != 0 })
        #expect(runs[0].0.probabilityOnInputGrid() != nil)
        for run in runs.dropFirst() {
            #expect(run.0.labels == runs[0].0.labels)
            #expect(run.0.airwayVoxels == runs[0].0.airwayVoxels)
            #expect(run.0.probabilityOnInputGrid() == runs[0].0.probabilityOnInputGrid())
            #expect(run.1.pixels == runs[0].1.pixels)
            #expect(run.2 == runs[0].2)
        }
    }
}

/// Components (runs found by slices in parallel) and box dilation (a running window per line)
/// against voxel-by-voxel references, at any thread count.
@Suite("Components and dilation at any thread count")
struct ComponentsAndDilationThreadCountTests {
    static let dims = Size3(12, 9, 10)
    static let mask = (0..<dims.product).map { (index: Int) -> UInt8 in (index * 7_919 + index / 37) % 5 < 2 ? 1 : 0 }

    /// Labels by breadth-first search, 6-connected, numbered in scan order of the first voxel.
    static func referenceLabels() -> [Int32] {
        let (nx, ny, nz) = (dims.i, dims.j, dims.k)
        var labels = [Int32](repeating: 0, count: mask.count)
        var next: Int32 = 0
        for start in mask.indices where mask[start] != 0 && labels[start] == 0 {
            next += 1
            labels[start] = next
            var queue = [start]
            while let current = queue.popLast() {
                let (i, j, k) = (current % nx, (current / nx) % ny, current / (nx * ny))
                for (di, dj, dk) in [(-1, 0, 0), (1, 0, 0), (0, -1, 0), (0, 1, 0), (0, 0, -1), (0, 0, 1)] {
                    let (a, b, c) = (i + di, j + dj, k + dk)
                    guard a >= 0, b >= 0, c >= 0, a < nx, b < ny, c < nz else { continue }
                    let neighbour = a + nx * (b + ny * c)
                    if mask[neighbour] != 0 && labels[neighbour] == 0 {
                        labels[neighbour] = next
                        queue.append(neighbour)
                    }
                }
            }
        }
        return labels
    }

    @Test(arguments: [1, 2, 7])
    func runsGiveTheComponents(threads: Int) {
        let expected = Self.referenceLabels()
        let runs = ParallelFor.$threadCount.withValue(threads) { MaskRuns(mask: Self.mask, dims: Self.dims) }
        #expect(runs.sizes.count > 3)
        let labels = (0..<Self.dims.product).map { runs.component(i: $0 % Self.dims.i, row: $0 / Self.dims.i) }
        #expect(labels == expected)
    }

    @Test(arguments: [1, 2, 7])
    func boxDilationSetsEveryVoxelWithinReach(threads: Int) {
        let (dims, radius) = (Self.dims, Size3(2, 1, 3))
        let sparse = Self.mask.indices.map { Self.mask[$0] != 0 && $0 % 9 == 0 ? UInt8(1) : 0 }
        let dilated = ParallelFor.$threadCount.withValue(threads) { BoxDilation.apply(sparse, dims: dims, radius: radius) }
        var expected = [UInt8](repeating: 0, count: sparse.count)
        for index in sparse.indices where sparse[index] != 0 {
            let (i, j, k) = (index % dims.i, (index / dims.i) % dims.j, index / (dims.i * dims.j))
            for c in max(0, k - radius.k)...min(dims.k - 1, k + radius.k) {
                for b in max(0, j - radius.j)...min(dims.j - 1, j + radius.j) {
                    for a in max(0, i - radius.i)...min(dims.i - 1, i + radius.i) { expected[a + dims.i * (b + dims.j * c)] = 1 }
                }
            }
        }
        #expect(dilated == expected)
        #expect(dilated.contains(0) && dilated.contains(1))
    }
}

/// Work started in the background keeps the caller's thread count (a dispatch queue does not
/// carry task-local values by itself, so `--threads` would not bind a batch's prefetch).
@Suite("Background work and the thread count")
struct BackgroundThreadCountTests {
    @Test(arguments: [1, 3])
    func backgroundWorkKeepsTheCallersThreadCount(threads: Int) throws {
        let seen = try ParallelFor.$threadCount.withValue(threads) { try BackgroundResult { ParallelFor.threadCount }.value() }
        #expect(seen == threads)
    }
}
