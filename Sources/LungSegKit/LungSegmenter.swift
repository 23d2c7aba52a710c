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
    /// The anatomical post-processing (docs/ARCHITECTURE.md): nothing outside the body, the
    /// trachea and main bronchi taken out, gas and far islands dropped, right and left split
    /// along their junction. Off, the mask is the thresholded network output.
    public var anatomicalPostprocessing: Bool = true
    public var fillHoles: Bool = true
    /// Label right lung 1 and left lung 2 (by the patient's left-right world axis).
    public var splitLungs: Bool = false
    public var threshold: Float = 0.5

    public init() {}

    /// The largest overlap: at 0.9 a window moves a tenth of its size, about 1,000 times the
    /// windows of no overlap; beyond it the run practically never ends.
    public static let maximumOverlap = 0.9
    /// Host memory one window of a batch takes (the network's activations on the CPU backend:
    /// 641 MB peak for one window, docs/ARCHITECTURE.md), for bounding `batchSize`.
    public static let bytesPerBatchedWindow = 700_000_000

    /// The largest batch this machine's memory holds (at least 1).
    public static var maximumBatchSize: Int {
        let memory = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        return max(1, memory / bytesPerBatchedWindow)
    }

    /// Why these options cannot be used, or nil: a library caller gets the same checks as the CLI.
    public func problem() -> String? {
        guard overlap.isFinite, overlap >= 0, overlap <= Self.maximumOverlap else {
            return "overlap \(overlap) must be between 0 and \(Self.maximumOverlap)"
        }
        guard batchSize >= 1, batchSize <= Self.maximumBatchSize else {
            return "a batch of \(batchSize) windows needs about \(batchSize * Self.bytesPerBatchedWindow / 1_000_000_000) GB; this machine holds at most \(Self.maximumBatchSize)"
        }
        guard threshold.isFinite, threshold > 0, threshold < 1 else { return "threshold \(threshold) must be between 0 and 1" }
        guard bodyMarginMM.isFinite, bodyMarginMM >= 0 else { return "body margin \(bodyMarginMM) must be a non-negative number of mm" }
        return nil
    }
}

/// What a segmentation produced and measured.
public struct SegmentationResult: Sendable {
    /// Labels on the input grid, always by side: 1 = right lung, 2 = left lung.
    public var labels: [UInt8]
    /// Whether the mask to write keeps the sides (`SegmentationOptions.splitLungs`).
    public var splitLungs: Bool
    /// The mask to write: `labels`, or 1 = lung when the sides were not asked for (a new array then).
    public func mask() -> [UInt8] { splitLungs ? labels : labels.map { $0 == 0 ? 0 : 1 } }
    /// Lung probability on the input grid, made anew by each call from the map kept on the cropped
    /// grid (most runs never ask for it: two input-sized float arrays fewer at the memory peak).
    public func probabilityOnInputGrid() -> [Float] { croppedProbability.onInputGrid() }
    let croppedProbability: CroppedProbability
    public var windows: SlidingWindow.Statistics
    /// Seconds per stage, in order.
    public var timings: [(stage: String, seconds: Double)]
    public var rightVolumeML: Double
    public var leftVolumeML: Double
    public var totalVolumeML: Double
    public var rightMeanHU: Double?
    public var leftMeanHU: Double?
    /// Lungs found: 0, 1 or 2 (a single lung is named by its side, never split).
    public var lungCount: Int
    /// Trachea and main bronchi (lumen and wall), mL; 0 when they were not found or not looked for.
    public var airwaysML: Double
    /// Voxel indices (input grid) of the trachea and main bronchi.
    public var airwayVoxels: [Int]
    /// What the post-processing took out of the network's mask, and why, in mL.
    public var removed: [(reason: RemovalReason, ml: Double)]
    public var warnings: [String]
    /// Smallest and largest input intensity (read once, for the HU check and the report).
    public var intensityRange: ClosedRange<Float>
}

/// The lung probability on the oriented, cropped grid, and how to put it back on the input grid.
struct CroppedProbability: Sendable {
    let values: [Float]
    let cropDims: [Int]
    let dims: [Int]
    let lower: [Int]
    let reorientation: Reorientation

    func onInputGrid() -> [Float] {
        var probability = [Float](repeating: 0, count: dims.reduce(1, *))
        LungSegmenter.paste(values, dims: cropDims, into: &probability, dims: dims, at: lower)
        return reorientation.invert(probability)
    }
}

/// Seconds per pipeline stage, in order.
struct StageTimer {
    private(set) var timings: [(String, Double)]
    private let clock = ContinuousClock()
    private var mark: ContinuousClock.Instant

    init(_ timings: [(String, Double)] = []) {
        self.timings = timings
        mark = clock.now
    }

    /// Records the time since the previous lap (or the start) as `stage`.
    mutating func lap(_ stage: String) {
        let now = clock.now
        let elapsed = now - mark
        timings.append((stage, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
        mark = now
    }
}

/// A CT made ready for the network by `LungSegmenter.prepare`: oriented, cropped to the body,
/// resampled, clipped and scaled, with what is needed to map the result back.
public struct PreparedVolume: Sendable {
    public let volume: Volume
    public let intensityRange: ClosedRange<Float>
    let warnings: [String]
    let timings: [(String, Double)]
    let reorientation: Reorientation
    let affine: Affine
    let dims: [Int]
    let spacing: [Double]
    let factors: [Int]
    let coarseDims: [Int]
    let body: CoarseBody?
    /// The CT on the cropped, oriented grid (the anatomical stages look at it).
    let croppedHU: [Float]
    /// The body crop: its first voxel on the oriented grid, and its size.
    let lower: [Int]
    let cropDims: [Int]
    let modelDims: [Int]
    let toSource: [Double]
    /// The model-grid input, clipped and scaled.
    let model: [Float]
}

/// The pipeline shared by every backend: orient, crop to the body, resample to the model
/// spacing, clip and scale, sliding windows, back to the input grid, threshold, post-process.
public struct LungSegmenter: Sendable {
    public var parameters: PipelineParameters
    public var options: SegmentationOptions

    public init(parameters: PipelineParameters, options: SegmentationOptions = SegmentationOptions()) {
        self.parameters = parameters
        self.options = options
    }

    /// The whole pipeline: `prepare`, then `segment(prepared:)`. `progress(done, total)` is called
    /// before the first batch of windows and after each; an error it throws (a deadline) stops the run.
    public func segment(_ volume: Volume, predictor: any WindowPredictor, progress: (Int, Int) throws -> Void = { _, _ in }) throws -> SegmentationResult {
        try segment(prepare(volume), predictor: predictor, progress: progress)
    }

    /// The steps before the network (orientation, body crop, resampling, clip and scale): no
    /// backend needed, so a batch runs them for the next case while the current one is on the backend.
    public func prepare(_ volume: Volume) throws -> PreparedVolume {
        if let problem = options.problem() { throw PipelineError.invalidOptions(problem) }
        var timer = StageTimer()
        var warnings: [String] = []

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
        timer.lap("orient")

        // 2. Body crop, found on a grid of about 2 mm (every f-th voxel): it only needs to be coarse.
        let factors = spacing.map { max(1, Int(2.0 / $0)) }
        let coarseDims = (0..<3).map { (dims[$0] + factors[$0] - 1) / factors[$0] }
        var body = options.bodyCrop || options.anatomicalPostprocessing
            ? CoarseBody(subsampled: subsample(oriented, dims: dims, factors: factors), dims: coarseDims, factors: factors) : nil
        var lower = [0, 0, 0]
        var upper = dims
        if options.bodyCrop {
            if let box = body.flatMap({ BinaryMask.boundingBox($0.mask, dims: coarseDims) }) {
                let margin = (0..<3).map { Int((options.bodyMarginMM / spacing[$0]).rounded(.up)) }
                lower = (0..<3).map { max(box.lower[$0] * factors[$0] - margin[$0], 0) }
                upper = (0..<3).map { min(box.upper[$0] * factors[$0] + margin[$0], dims[$0]) }
            } else {
                warnings.append("no body found above -500 HU; the whole volume is searched")
            }
        }
        body?.offset = lower
        let cropDims = (0..<3).map { upper[$0] - lower[$0] }
        let cropped = crop(oriented, dims: dims, lower: lower, upper: upper)
        timer.lap("body crop")

        // 3. Resample to the model spacing, clip, scale.
        let modelDims = Resampling.dims(for: cropDims, spacing: spacing, newSpacing: parameters.spacing)
        // A 3D model sees a slab thinner than a few of its slices as one slice in a window of
        // padding: the shipped model finds nothing there (docs/model: a 1 mm slab, Dice 0).
        let coverage = Double(cropDims[2]) * spacing[2]
        if coverage < 4 * parameters.spacing[2] {
            warnings.append(String(format: "the CT covers only %.1f mm along its third axis (the model works on %.0f mm slices in windows of %d): the mask is unreliable",
                                   coverage, parameters.spacing[2], parameters.windowSize[2]))
        }
        let toSource = (0..<3).map { parameters.spacing[$0] / spacing[$0] }
        var model = Resampling.linear(cropped, dims: cropDims, to: modelDims, scale: toSource)
        let (low, high) = (Float(parameters.clipMin), Float(parameters.clipMax))
        let (outLow, outHigh) = (Float(parameters.scaledMin), Float(parameters.scaledMax))
        let factor = (outHigh - outLow) / (high - low)
        for index in model.indices { model[index] = (min(max(model[index], low), high) - low) * factor + outLow }
        timer.lap("resample")
        return PreparedVolume(
            volume: volume, intensityRange: range, warnings: warnings, timings: timer.timings, reorientation: reorientation, affine: affine,
            dims: dims, spacing: spacing, factors: factors, coarseDims: coarseDims, body: body, croppedHU: cropped, lower: lower,
            cropDims: cropDims, modelDims: modelDims, toSource: toSource, model: model)
    }

    /// The network and everything after it, on a volume `prepare` made with the same parameters.
    public func segment(_ prepared: PreparedVolume, predictor: any WindowPredictor, progress: (Int, Int) throws -> Void = { _, _ in }) throws -> SegmentationResult {
        var timer = StageTimer(prepared.timings)
        let spacing = prepared.spacing
        let (factors, coarseDims, lower, cropDims) = (prepared.factors, prepared.coarseDims, prepared.lower, prepared.cropDims)
        let (modelDims, toSource, model) = (prepared.modelDims, prepared.toSource, prepared.model)

        // 4. Sliding windows, skipping those that do not touch the body.
        let bodyTable = options.bodyCrop ? prepared.body.map { SummedVolume($0.mask, dims: coarseDims) } : nil
        let window = SlidingWindow(windowSize: parameters.windowSize, overlap: options.overlap, mode: options.blend, batchSize: options.batchSize)
        let (modelProbability, statistics) = try window.run(
            model, dims: modelDims, predictor: predictor,
            include: { lowerModel, upperModel in
                guard let bodyTable else { return true }
                // The window's footprint on the input grid, then on the coarse body grid.
                let lo = (0..<3).map { axis -> Int in
                    let fine = lower[axis] + Int((Double(lowerModel[axis]) * toSource[axis]).rounded(.down))
                    return max(fine / factors[axis], 0)
                }
                let hi = (0..<3).map { axis -> Int in
                    let fine = lower[axis] + Int((Double(upperModel[axis] - 1) * toSource[axis]).rounded(.up)) + 1
                    return min((fine + factors[axis] - 1) / factors[axis], coarseDims[axis])
                }
                return bodyTable.count(lower: lo, upper: hi) > 0
            }, progress: progress)
        timer.lap("inference")

        // 5. Back to the (cropped, oriented) input grid: probability, then threshold.
        let back = Resampling.linear(modelProbability, dims: modelDims, to: cropDims, scale: (0..<3).map { spacing[$0] / parameters.spacing[$0] })
        timer.lap("resample back")
        return try finish(prepared, probability: back, windows: statistics, timer: timer)
    }

    /// The steps after the network on a lung probability map saved earlier on the input grid
    /// (`segment --probabilities`): the same crop, threshold, post-processing and measurements as
    /// `segment`, without a network. No windows are run.
    public func postprocess(_ volume: Volume, probability: [Float]) throws -> SegmentationResult {
        guard probability.count == volume.count else { throw PipelineError.probabilityGridMismatch(expected: volume.dims, count: probability.count) }
        let prepared = try prepare(volume)
        var timer = StageTimer(prepared.timings)
        let upper = (0..<3).map { prepared.lower[$0] + prepared.cropDims[$0] }
        let cropped = crop(prepared.reorientation.apply(probability), dims: prepared.dims, lower: prepared.lower, upper: upper)
        timer.lap("crop probability")
        return try finish(prepared, probability: cropped, windows: SlidingWindow.Statistics(windows: 0, run: 0, skipped: 0), timer: timer)
    }

    /// Everything after the network: threshold, post-process, measure. `probability` is the lung
    /// probability on the cropped, oriented grid of `prepared`.
    func finish(_ prepared: PreparedVolume, probability back: [Float], windows statistics: SlidingWindow.Statistics, timer: StageTimer) throws -> SegmentationResult {
        var timer = timer
        var warnings = prepared.warnings
        let (volume, range, reorientation, affine, dims) = (prepared.volume, prepared.intensityRange, prepared.reorientation, prepared.affine, prepared.dims)
        let (lower, cropDims) = (prepared.lower, prepared.cropDims)
        let lungs = back.map { $0 >= options.threshold ? UInt8(1) : 0 }

        // 6. Post-processing inside the crop (the body holds the lungs), then un-crop.
        let croppedAffine = Affine(rows: (0..<4).map { row in
            row == 3 ? affine.rows[3] : [affine.rows[row][0], affine.rows[row][1], affine.rows[row][2],
                                         affine.world(Double(lower[0]), Double(lower[1]), Double(lower[2]))[row]]
        })
        let grid = AnatomyGrid(dims: cropDims, affine: croppedAffine)
        var croppedLabels: [UInt8]
        var airwayMask: [UInt8]?
        var removed: [(reason: RemovalReason, ml: Double)] = []
        var lungCount: Int
        if options.anatomicalPostprocessing && grid.isAxial {
            var postprocessing = AnatomicalPostprocessing(grid: grid)
            postprocessing.imageFaces = [lower[0] == 0, lower[0] + cropDims[0] == dims[0], lower[1] == 0, lower[1] + cropDims[1] == dims[1]]
            let outcome = postprocessing.run(mask: lungs, hu: prepared.croppedHU, coarse: prepared.body, fillHoles: options.fillHoles)
            croppedLabels = outcome.labels
            airwayMask = outcome.airways.voxelCount > 0 ? outcome.airways.mask : nil
            removed = outcome.removed.map { ($0.0, Double($0.1) * grid.voxelML) }
            lungCount = outcome.lungCount
            warnings += outcome.warnings
        } else {
            if options.anatomicalPostprocessing {
                warnings.append("the model's orientation \(parameters.orientation) has no axial third axis: the anatomical post-processing was skipped")
            }
            let filled = options.fillHoles ? BinaryMask.fillHoles(lungs, dims: cropDims) : lungs
            let components = BinaryMask.label(filled, dims: cropDims)
            let (split, splitNote) = splitLeftRight(components, dims: cropDims, affine: croppedAffine)
            if let splitNote { warnings.append(splitNote) }
            croppedLabels = split
            lungCount = min(components.sizes.count - 1, 2)
        }
        var labels = [UInt8](repeating: 0, count: dims.reduce(1, *))
        Self.paste(croppedLabels, dims: cropDims, into: &labels, dims: dims, at: lower)
        var airwayVoxels: [Int] = []
        if let airwayMask {
            var airways = [UInt8](repeating: 0, count: labels.count)
            Self.paste(airwayMask, dims: cropDims, into: &airways, dims: dims, at: lower)
            let inverted = reorientation.invert(airways)
            airwayVoxels = inverted.indices.filter { inverted[$0] != 0 }
        }
        timer.lap("post-process")

        // 7. Back to the input orientation; measurements on the input grid.
        let inputLabels = reorientation.invert(labels)
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
        let airwaysML = Double(airwayVoxels.count) * voxelML
        if lungCount == 2 && min(right, left) * 3 < max(right, left) {
            warnings.append(String(format: "one lung is much smaller than the other (right %.0f mL, left %.0f mL)", right, left))
        }
        if touchesBorder(inputLabels, dims: volume.dims) { warnings.append("the lungs touch the volume border: the scan may not cover them whole") }
        timer.lap("measure")

        return SegmentationResult(
            labels: inputLabels, splitLungs: options.splitLungs, croppedProbability: CroppedProbability(values: back, cropDims: cropDims, dims: dims, lower: lower, reorientation: reorientation), windows: statistics, timings: timer.timings, rightVolumeML: right, leftVolumeML: left,
            totalVolumeML: right + left, rightMeanHU: counts[1] > 0 ? sums[1] / Double(counts[1]) : nil,
            leftMeanHU: counts[2] > 0 ? sums[2] / Double(counts[2]) : nil, lungCount: lungCount, airwaysML: airwaysML,
            airwayVoxels: airwayVoxels, removed: removed, warnings: warnings,
            intensityRange: range)
    }

    // MARK: - Steps

    /// Labels 1 = right, 2 = left, by world x: NIfTI's world is RAS+, x grows toward the
    /// patient's right (CIP's right-lung regions of cip_ct64 lie at x = +48 mm, the left at -58).
    /// Never by array index. Two or more components: each goes to the side of its centroid
    /// relative to the midpoint of the two largest; one component: split at its centroid.
    func splitLeftRight(_ components: BinaryMask.Labels, dims: [Int], affine: Affine) -> ([UInt8], String?) {
        let count = components.sizes.count
        // World x is linear in the voxel index: x = x0 + a*i + b*j + c*k.
        let (a, b, c, x0) = (affine.rows[0][0], affine.rows[0][1], affine.rows[0][2], affine.rows[0][3])
        var sums = [Double](repeating: 0, count: count)
        var index = 0
        for k in 0..<dims[2] {
            for j in 0..<dims[1] {
                let rowX = x0 + b * Double(j) + c * Double(k)
                for i in 0..<dims[0] {
                    let label = Int(components.labels[index])
                    if label != 0 { sums[label] += rowX + a * Double(i) }
                    index += 1
                }
            }
        }
        var labels = [UInt8](repeating: 0, count: components.labels.count)
        let order = components.bySize
        guard let first = order.first else { return (labels, nil) }
        let centroid = { (label: Int32) in sums[Int(label)] / Double(max(components.sizes[Int(label)], 1)) }
        if order.count >= 2 {
            let midline = (centroid(first) + centroid(order[1])) / 2
            let side = (0..<count).map { label -> UInt8 in label == 0 ? 0 : (centroid(Int32(label)) > midline ? 1 : 2) }
            for index in labels.indices { labels[index] = side[Int(components.labels[index])] }
            return (labels, nil)
        }
        let midline = centroid(first)
        index = 0
        for k in 0..<dims[2] {
            for j in 0..<dims[1] {
                let rowX = x0 + b * Double(j) + c * Double(k)
                for i in 0..<dims[0] {
                    if components.labels[index] != 0 { labels[index] = rowX + a * Double(i) > midline ? 1 : 2 }
                    index += 1
                }
            }
        }
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

    /// Every f-th voxel along each axis (nearest-neighbour downsampling).
    func subsample(_ values: [Float], dims: [Int], factors: [Int]) -> [Float] {
        if factors == [1, 1, 1] { return values }
        var result: [Float] = []
        result.reserveCapacity((0..<3).reduce(1) { $0 * ((dims[$1] + factors[$1] - 1) / factors[$1]) })
        for k in stride(from: 0, to: dims[2], by: factors[2]) {
            for j in stride(from: 0, to: dims[1], by: factors[1]) {
                let row = dims[0] * (j + dims[1] * k)
                for i in stride(from: 0, to: dims[0], by: factors[0]) { result.append(values[row + i]) }
            }
        }
        return result
    }

    static func paste<T>(_ values: [T], dims small: [Int], into target: inout [T], dims: [Int], at lower: [Int]) {
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
