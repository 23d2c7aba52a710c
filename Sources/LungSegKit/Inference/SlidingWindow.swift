import AHNet
import Foundation

/// Predicts the foreground probability of a batch of windows.
public protocol WindowPredictor {
    /// `windows` holds `batch` windows of `size` in NIfTI order (H fastest), one channel; returns
    /// `batch` probability windows in the same layout.
    func predict(_ windows: [Float], batch: Int, size: Size3) throws -> [Float]
}

/// How overlapping windows are blended.
public enum BlendMode: String, Sendable, Codable, CaseIterable {
    /// Every voxel of a window weighs the same.
    case constant
    /// A separable gaussian, sigma = 0.125 x window size, weighs window centres more (MONAI's).
    case gaussian
}

/// Sliding-window inference with MONAI's conventions (`sliding_window_inference`): step
/// `int(roi * (1 - overlap))`, the last window moved back to end at the border, a volume smaller
/// than the window padded symmetrically with 0, predictions blended by importance weights.
/// Memory: the two blend accumulators and one batch of windows.
public struct SlidingWindow: Sendable {
    public var windowSize: Size3
    public var overlap: Double
    public var mode: BlendMode
    public var batchSize: Int

    public init(windowSize: Size3, overlap: Double = 0.25, mode: BlendMode = .gaussian, batchSize: Int = 1) {
        self.windowSize = windowSize
        self.overlap = overlap
        self.mode = mode
        self.batchSize = max(1, batchSize)
    }

    /// What a run did.
    public struct Statistics: Sendable, Equatable, Codable {
        public var windows: Int
        public var run: Int
        public var skipped: Int
    }

    /// Window starts along one axis (MONAI's `dense_patch_slices`).
    public static func starts(size: Int, window: Int, overlap: Double) -> [Int] {
        let interval = window == size ? window : max(Int(Double(window) * (1 - overlap)), 1)
        let count = Int((Double(size) / Double(interval)).rounded(.up))
        let needed = (0..<max(count, 1)).first { $0 * interval + window >= size } ?? 0
        return (0...needed).map { index in
            let start = index * interval
            return start - max(start + window - size, 0)
        }
    }

    /// Importance weights of one window, NIfTI order (H fastest).
    public func importanceMap() -> [Float] {
        let (h, w, d) = (windowSize.i, windowSize.j, windowSize.k)
        guard mode == .gaussian else { return [Float](repeating: 1, count: h * w * d) }
        func profile(_ n: Int) -> [Float] {
            let sigma = Float(0.125) * Float(n)
            return (0..<n).map { index in
                let x = Float(index) - Float(n - 1) / 2
                return exp(x * x / (-2 * sigma * sigma))
            }
        }
        let (ph, pw, pd) = (profile(h), profile(w), profile(d))
        var map = [Float](repeating: 0, count: h * w * d)
        var index = 0
        for z in 0..<d {
            for y in 0..<w {
                for x in 0..<h {
                    map[index] = ph[x] * pw[y] * pd[z]
                    index += 1
                }
            }
        }
        let floor = max(map.min() ?? 1e-3, 1e-3)
        return map.map { max($0, floor) }
    }

    /// Runs `predictor` over `volume` (dims, NIfTI order). `include(lower, upper)` says whether a
    /// window (in unpadded coordinates, upper exclusive) is worth running; skipped windows leave
    /// their voxels to other windows, or at probability 0. `progress(done, total)` before the first
    /// batch and after each one; an error it throws (a deadline passed) stops the run.
    public func run(
        _ volume: [Float], dims: Size3, predictor: any WindowPredictor,
        include: (Index3, Index3) -> Bool = { _, _ in true }, progress: (Int, Int) throws -> Void = { _, _ in }
    ) throws -> (probability: [Float], statistics: Statistics) {
        // Pad to at least one window, symmetrically (MONAI: half before, the rest after).
        let padded = dims.zip(windowSize, max)
        let before = padded.zip(dims) { ($0 - $1) / 2 }
        let (px, py, pz) = (padded.i, padded.j, padded.k)
        let (wx, wy, wz) = (windowSize.i, windowSize.j, windowSize.k)
        let windowCount = windowSize.product
        let weights = importanceMap()

        let startsX = Self.starts(size: px, window: wx, overlap: overlap)
        let startsY = Self.starts(size: py, window: wy, overlap: overlap)
        let startsZ = Self.starts(size: pz, window: wz, overlap: overlap)
        var positions: [Index3] = []
        for z in startsZ { for y in startsY { for x in startsX { positions.append(Index3(x, y, z)) } } }
        let selected = positions.filter { start in
            let lower = start.zip(before) { max($0 - $1, 0) }
            let upper = Index3.byAxis { min(start[$0] + windowSize[$0] - before[$0], dims[$0]) }
            return lower.zip(upper, <).allSatisfy { $0 } && include(lower, upper)
        }

        var sum = [Float](repeating: 0, count: px * py * pz)
        var weightSum = [Float](repeating: 0, count: px * py * pz)
        var batchValues = [Float](repeating: 0, count: batchSize * windowCount)
        var done = 0
        try progress(0, selected.count)
        for batchStart in stride(from: 0, to: selected.count, by: batchSize) {
            let batch = Array(selected[batchStart..<min(batchStart + batchSize, selected.count)])
            // Gather the windows from the (virtually padded) volume; each window slice is its own
            // part of the batch, so slices run in parallel.
            volume.withUnsafeBufferPointer { volume in
                batchValues.withUnsafeMutableBufferPointer { batchValues in
                    ParallelFor.run(0..<(batch.count * wz)) { slices in
                        for slice in slices {
                            let (slot, z) = slice.quotientAndRemainder(dividingBy: wz)
                            let start = batch[slot]
                            var index = slot * windowCount + z * wx * wy
                            let k = start.k + z - before.k
                            for y in 0..<wy {
                                let j = start.j + y - before.j
                                for x in 0..<wx {
                                    let i = start.i + x - before.i
                                    let inside = i >= 0 && i < dims.i && j >= 0 && j < dims.j && k >= 0 && k < dims.k
                                    batchValues[index] = inside ? volume[i + dims.i * (j + dims.j * k)] : 0
                                    index += 1
                                }
                            }
                        }
                    }
                }
            }
            let input = batch.count == batchSize ? batchValues : Array(batchValues[0..<(batch.count * windowCount)])
            let predictions = try predictor.predict(input, batch: batch.count, size: windowSize)
            // Accumulate window after window (the order of the sums at each voxel is fixed); within
            // a window its slices touch different voxels, so they run in parallel.
            predictions.withUnsafeBufferPointer { predictions in
                sum.withUnsafeMutableBufferPointer { sum in
                    weightSum.withUnsafeMutableBufferPointer { weightSum in
                        for (slot, start) in batch.enumerated() {
                            ParallelFor.run(0..<wz) { slices in
                                for z in slices {
                                    var index = slot * windowCount + z * wx * wy
                                    var local = z * wx * wy
                                    for y in 0..<wy {
                                        var target = start.i + px * (start.j + y + py * (start.k + z))
                                        for _ in 0..<wx {
                                            sum[target] += predictions[index] * weights[local]
                                            weightSum[target] += weights[local]
                                            target += 1
                                            index += 1
                                            local += 1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            done += batch.count
            try progress(done, selected.count)
        }

        // Divide and crop the padding away.
        var probability = [Float](repeating: 0, count: dims.product)
        sum.withUnsafeBufferPointer { sum in
            weightSum.withUnsafeBufferPointer { weightSum in
                probability.withUnsafeMutableBufferPointer { probability in
                    ParallelFor.run(0..<dims.k) { slices in
                        for k in slices {
                            var index = k * dims.i * dims.j
                            for j in 0..<dims.j {
                                var source = before.i + px * (j + before.j + py * (k + before.k))
                                for _ in 0..<dims.i {
                                    probability[index] = weightSum[source] > 0 ? sum[source] / weightSum[source] : 0
                                    index += 1
                                    source += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        return (probability, Statistics(windows: positions.count, run: selected.count, skipped: positions.count - selected.count))
    }
}
