import AHNet
import Foundation

/// Switches of the pipeline, each reported.
public struct SegmentationOptions: Sendable, Codable, Equatable {
    public var overlap: Double = 0.25
    public var blend: BlendMode = .gaussian
    public var batchSize: Int = 1
    /// Crop to the patient's body (largest component above -500 HU, holes filled) plus a margin.
    public var bodyCrop: Bool = true
    public var bodyMarginMM: Double = 10
    /// Keep the lung components (the largest, and the second when it is at least 10 % of it).
    public var keepLungComponents: Bool = true
    public var fillHoles: Bool = true
    /// Label right lung 1 and left lung 2 (by the patient's left-right world axis).
    public var splitLungs: Bool = false
    public var threshold: Float = 0.5

    public init() {}
}

/// What a segmentation produced and measured.
public struct SegmentationResult: Sendable {
    /// Labels on the input grid: 1 = lung, or 1 = right and 2 = left with `splitLungs`.
    public var mask: [UInt8]
    /// Lung probability on the input grid.
    public var probability: [Float]
    public var windows: SlidingWindow.Statistics
    /// Seconds per stage, in order.
    public var timings: [(stage: String, seconds: Double)]
    public var rightVolumeML: Double
    public var leftVolumeML: Double
    public var totalVolumeML: Double
    public var rightMeanHU: Double?
    public var leftMeanHU: Double?
    public var componentsKept: Int
    public var warnings: [String]
}

/// The pipeline shared by every backend: orient, crop to the body, resample to the model
/// spacing, clip and scale, sliding windows, back to the input grid, threshold, post-process.
public struct LungSegmenter {
    public var parameters: PipelineParameters
    public var options: SegmentationOptions

    public init(parameters: PipelineParameters, options: SegmentationOptions = SegmentationOptions()) {
        self.parameters = parameters
        self.options = options
    }

    public func segment(_ volume: Volume, predictor: any WindowPredictor, progress: (Int, Int) -> Void = { _, _ in }) throws -> SegmentationResult {
        var timings: [(String, Double)] = []
        var warnings: [String] = []
        let clock = ContinuousClock()
        var mark = clock.now
        func lap(_ stage: String) {
            let now = clock.now
            let elapsed = now - mark
            timings.append((stage, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
            mark = now
        }

        let range = volume.intensityRange
        if range.lowerBound > -500 || range.upperBound < 0 {
            warnings.append("intensities \(range.lowerBound)...\(range.upperBound) do not look like HU (air should be near -1000)")
        }

        // 1. Orientation: permutes and flips only.
        let reorientation = try Reorientation(affine: volume.affine, dims: volume.dims, to: parameters.orientation)
        let oriented = reorientation.apply(volume.voxels)
        let affine = reorientation.affine(volume.affine)
        let dims = reorientation.targetDims
        let spacing = affine.columnLengths
        lap("orient")

        // 2. Body crop.
        let body = options.bodyCrop ? bodyMask(oriented, dims: dims) : nil
        var lower = [0, 0, 0]
        var upper = dims
        if let body {
            if let box = BinaryMask.boundingBox(body, dims: dims) {
                let margin = (0..<3).map { Int((options.bodyMarginMM / spacing[$0]).rounded(.up)) }
                lower = (0..<3).map { max(box.lower[$0] - margin[$0], 0) }
                upper = (0..<3).map { min(box.upper[$0] + margin[$0], dims[$0]) }
            } else {
                warnings.append("no body found above -500 HU; the whole volume is searched")
            }
        }
        let cropDims = (0..<3).map { upper[$0] - lower[$0] }
        let cropped = crop(oriented, dims: dims, lower: lower, upper: upper)
        let croppedBody = body.map { crop($0, dims: dims, lower: lower, upper: upper) }
        lap("body crop")

        // 3. Resample to the model spacing, clip, scale.
        let modelDims = Resampling.dims(for: cropDims, spacing: spacing, newSpacing: parameters.spacing)
        let toSource = (0..<3).map { parameters.spacing[$0] / spacing[$0] }
        var model = Resampling.linear(cropped, dims: cropDims, to: modelDims, scale: toSource)
        let (low, high) = (Float(parameters.clipMin), Float(parameters.clipMax))
        let (outLow, outHigh) = (Float(parameters.scaledMin), Float(parameters.scaledMax))
        let factor = (outHigh - outLow) / (high - low)
        for index in model.indices { model[index] = (min(max(model[index], low), high) - low) * factor + outLow }
        lap("resample")

        // 4. Sliding windows, skipping those that do not touch the body.
        let bodyTable = croppedBody.map { SummedVolume($0, dims: cropDims) }
        let window = SlidingWindow(windowSize: parameters.windowSize, overlap: options.overlap, mode: options.blend, batchSize: options.batchSize)
        let (modelProbability, statistics) = try window.run(
            model, dims: modelDims, predictor: predictor,
            include: { lowerModel, upperModel in
                guard let bodyTable else { return true }
                let lo = (0..<3).map { max(Int((Double(lowerModel[$0]) * toSource[$0]).rounded(.down)), 0) }
                let hi = (0..<3).map { min(Int((Double(upperModel[$0] - 1) * toSource[$0]).rounded(.up)) + 1, cropDims[$0]) }
                return bodyTable.count(lower: lo, upper: hi) > 0
            }, progress: progress)
        lap("inference")

        // 5. Back to the (cropped, oriented) input grid: probability, then threshold, uncrop.
        let back = Resampling.linear(modelProbability, dims: modelDims, to: cropDims, scale: (0..<3).map { spacing[$0] / parameters.spacing[$0] })
        var probability = [Float](repeating: 0, count: dims.reduce(1, *))
        paste(back, dims: cropDims, into: &probability, dims: dims, at: lower)
        var lungs = probability.map { $0 >= options.threshold ? UInt8(1) : 0 }
        lap("resample back")

        // 6. Post-processing on the oriented grid.
        var componentsKept = BinaryMask.components(lungs, dims: dims).count
        if options.keepLungComponents {
            let components = BinaryMask.components(lungs, dims: dims)
            var kept = [UInt8](repeating: 0, count: lungs.count)
            let chosen = components.prefix(2).filter { $0.size * 10 >= (components.first?.size ?? 0) }
            for component in chosen {
                let part = BinaryMask.component(lungs, dims: dims, containing: component.seed)
                for index in part.indices where part[index] != 0 { kept[index] = 1 }
            }
            lungs = kept
            componentsKept = chosen.count
        }
        if options.fillHoles { lungs = BinaryMask.fillHoles(lungs, dims: dims) }
        let (labels, splitNote) = splitLeftRight(lungs, dims: dims, affine: affine)
        if let splitNote { warnings.append(splitNote) }
        lap("post-process")

        // 7. Back to the input orientation; measurements on the input grid.
        let inputLabels = reorientation.invert(labels)
        let inputProbability = reorientation.invert(probability)
        let voxelML = abs(volume.affine.linearDeterminant) / 1000
        var counts = [0, 0, 0]
        var sums = [0.0, 0.0, 0.0]
        for index in inputLabels.indices where inputLabels[index] != 0 {
            counts[Int(inputLabels[index])] += 1
            sums[Int(inputLabels[index])] += Double(volume.voxels[index])
        }
        let right = Double(counts[1]) * voxelML
        let left = Double(counts[2]) * voxelML
        if right + left < 1 { warnings.append("no lung found") }
        if right > 0 && left > 0 && min(right, left) * 3 < max(right, left) {
            warnings.append(String(format: "one lung is much smaller than the other (right %.0f mL, left %.0f mL)", right, left))
        }
        if touchesBorder(inputLabels, dims: volume.dims) { warnings.append("the lungs touch the volume border: the scan may not cover them whole") }
        let mask = options.splitLungs ? inputLabels : inputLabels.map { $0 == 0 ? 0 : 1 }
        lap("measure")

        return SegmentationResult(
            mask: mask, probability: inputProbability, windows: statistics, timings: timings, rightVolumeML: right, leftVolumeML: left,
            totalVolumeML: right + left, rightMeanHU: counts[1] > 0 ? sums[1] / Double(counts[1]) : nil,
            leftMeanHU: counts[2] > 0 ? sums[2] / Double(counts[2]) : nil, componentsKept: componentsKept, warnings: warnings)
    }

    // MARK: - Steps

    /// Largest component above -500 HU, holes filled slice by slice (the lungs are holes in it).
    func bodyMask(_ values: [Float], dims: [Int]) -> [UInt8]? {
        let above = values.map { $0 > -500 ? UInt8(1) : 0 }
        guard let largest = BinaryMask.components(above, dims: dims).first else { return nil }
        return BinaryMask.fillHolesPerSlice(BinaryMask.component(above, dims: dims, containing: largest.seed), dims: dims)
    }

    /// Labels 1 = right, 2 = left, by world x: NIfTI's world is RAS+, x grows toward the
    /// patient's right (CIP's right-lung regions of cip_ct64 lie at x = +48 mm, the left at -58).
    /// Never by array index.
    func splitLeftRight(_ lungs: [UInt8], dims: [Int], affine: Affine) -> ([UInt8], String?) {
        let components = BinaryMask.components(lungs, dims: dims)
        var labels = [UInt8](repeating: 0, count: lungs.count)
        func worldX(_ index: Int) -> Double {
            let i = index % dims[0]
            let j = (index / dims[0]) % dims[1]
            let k = index / (dims[0] * dims[1])
            return affine.world(Double(i), Double(j), Double(k))[0]
        }
        if components.count >= 2 {
            var parts: [(mask: [UInt8], x: Double)] = []
            for component in components {
                let part = BinaryMask.component(lungs, dims: dims, containing: component.seed)
                var total = 0.0
                var count = 0
                for index in part.indices where part[index] != 0 {
                    total += worldX(index)
                    count += 1
                }
                parts.append((part, total / Double(max(count, 1))))
            }
            let midline = (parts[0].x + parts[1].x) / 2
            for part in parts {
                let label: UInt8 = part.x > midline ? 1 : 2
                for index in part.mask.indices where part.mask[index] != 0 { labels[index] = label }
            }
            return (labels, nil)
        }
        guard !components.isEmpty else { return (labels, nil) }
        var total = 0.0
        var count = 0
        for index in lungs.indices where lungs[index] != 0 {
            total += worldX(index)
            count += 1
        }
        let midline = total / Double(max(count, 1))
        for index in lungs.indices where lungs[index] != 0 { labels[index] = worldX(index) > midline ? 1 : 2 }
        return (labels, "the lungs form one component; right and left were split at its centre")
    }

    func crop<T>(_ values: [T], dims: [Int], lower: [Int], upper: [Int]) -> [T] {
        if lower == [0, 0, 0] && upper == dims { return values }
        var result: [T] = []
        result.reserveCapacity((0..<3).reduce(1) { $0 * (upper[$1] - lower[$1]) })
        for k in lower[2]..<upper[2] {
            for j in lower[1]..<upper[1] {
                let row = dims[0] * (j + dims[1] * k)
                result.append(contentsOf: values[(row + lower[0])..<(row + upper[0])])
            }
        }
        return result
    }

    func paste(_ values: [Float], dims small: [Int], into target: inout [Float], dims: [Int], at lower: [Int]) {
        var index = 0
        for k in 0..<small[2] {
            for j in 0..<small[1] {
                let row = dims[0] * (j + lower[1] + dims[1] * (k + lower[2])) + lower[0]
                for i in 0..<small[0] {
                    target[row + i] = values[index]
                    index += 1
                }
            }
        }
    }

    func touchesBorder(_ labels: [UInt8], dims: [Int]) -> Bool {
        let (nx, ny, nz) = (dims[0], dims[1], dims[2])
        for index in labels.indices where labels[index] != 0 {
            let i = index % nx
            let j = (index / nx) % ny
            let k = index / (nx * ny)
            if i == 0 || j == 0 || i == nx - 1 || j == ny - 1 || ((k == 0 || k == nz - 1) && nz > 2) { return true }
        }
        return false
    }
}

/// Counts set voxels in any box in constant time (a 3D summed-volume table).
struct SummedVolume {
    let dims: [Int]
    let table: [Int32]

    init(_ mask: [UInt8], dims: [Int]) {
        self.dims = dims
        let (nx, ny, nz) = (dims[0] + 1, dims[1] + 1, dims[2] + 1)
        var table = [Int32](repeating: 0, count: nx * ny * nz)
        for k in 1..<nz {
            for j in 1..<ny {
                for i in 1..<nx {
                    let value = Int32(mask[(i - 1) + dims[0] * ((j - 1) + dims[1] * (k - 1))])
                    table[i + nx * (j + ny * k)] = value
                        + table[(i - 1) + nx * (j + ny * k)] + table[i + nx * ((j - 1) + ny * k)] + table[i + nx * (j + ny * (k - 1))]
                        - table[(i - 1) + nx * ((j - 1) + ny * k)] - table[(i - 1) + nx * (j + ny * (k - 1))] - table[i + nx * ((j - 1) + ny * (k - 1))]
                        + table[(i - 1) + nx * ((j - 1) + ny * (k - 1))]
                }
            }
        }
        self.table = table
    }

    /// Set voxels in [lower, upper) per axis.
    func count(lower: [Int], upper: [Int]) -> Int {
        guard (0..<3).allSatisfy({ lower[$0] < upper[$0] }) else { return 0 }
        let (nx, ny) = (dims[0] + 1, dims[1] + 1)
        func at(_ i: Int, _ j: Int, _ k: Int) -> Int { Int(table[i + nx * (j + ny * k)]) }
        let (a, b) = (lower, upper)
        return at(b[0], b[1], b[2]) - at(a[0], b[1], b[2]) - at(b[0], a[1], b[2]) - at(b[0], b[1], a[2])
            + at(a[0], a[1], b[2]) + at(a[0], b[1], a[2]) + at(b[0], a[1], a[2]) - at(a[0], a[1], a[2])
    }
}
