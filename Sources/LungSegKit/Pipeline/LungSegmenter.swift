import AHNet
import Foundation

/// The pipeline shared by every backend, as named stages (`PipelineStage`, one file each under
/// Pipeline/Stages): orient, crop to the body, resample to the model spacing (clip, scale),
/// sliding windows, back to the input grid, threshold and post-process, measure.
public struct LungSegmenter: Sendable {
    public var parameters: PipelineParameters
    public var options: SegmentationOptions
    /// Whether results keep the lung probability for `SegmentationResult.probabilityOnInputGrid()`.
    /// Off, the float map (4 bytes a voxel of the crop) is dropped as soon as it is thresholded,
    /// before the post-processing reaches the run's memory peak.
    public var keepsProbabilities: Bool

    public init(parameters: PipelineParameters, options: SegmentationOptions = SegmentationOptions(), keepsProbabilities: Bool = true) {
        self.parameters = parameters
        self.options = options
        self.keepsProbabilities = keepsProbabilities
    }

    /// The whole pipeline: `prepare`, then `segment(prepared:)`. `progress(done, total)` is called
    /// before the first batch of windows and after each; an error it throws (a deadline) stops the run.
    public func segment(_ volume: Volume, predictor: any WindowPredictor, progress: (Int, Int) throws -> Void = { _, _ in }) throws -> SegmentationResult {
        try segment(prepare(volume), predictor: predictor, progress: progress)
    }

    /// The stages before the network (orient, body crop, resample): no backend needed, so a batch
    /// runs them for the next case while the current one is on the backend. Invalid options are
    /// refused here, before any work (`SegmentationOptions.validate`).
    public func prepare(_ volume: Volume) throws -> PreparedVolume {
        try options.validate()
        var timer = StageTimer()
        var warnings: [PipelineWarning] = []
        let (range, wholeNumbers) = volume.valueSummary
        if range.lowerBound > -500 || range.upperBound < 0 {
            warnings.append(.notHounsfieldUnits(lowest: range.lowerBound, highest: range.upperBound))
        }
        let oriented = try OrientStage.run(volume, to: parameters.orientation)
        timer.lap(.orient)
        let crop = BodyCropStage.run(oriented, options: options)
        warnings += crop.warnings
        timer.lap(.bodyCrop)
        // The model reads the CT exactly: from the whole-number crop when it holds the input's
        // values, else from a float crop made for this stage only.
        let input = wholeNumbers
            ? ResampleStage.run(crop.hu, dims: crop.box.dims, spacing: oriented.spacing, parameters: parameters)
            : ResampleStage.run(oriented.reorientation.gather(oriented.voxels, box: crop.box), dims: crop.box.dims, spacing: oriented.spacing,
                                parameters: parameters)
        warnings += input.warnings
        timer.lap(.resample)
        let mapping = GridMapping(
            reorientation: oriented.reorientation, orientedAffine: oriented.affine, crop: crop.box, modelDims: input.dims,
            toSource: input.toSource, toModel: input.toModel)
        return PreparedVolume(
            volume: volume, intensityRange: range, wholeNumbers: wholeNumbers, warnings: warnings, timings: timer.timings, mapping: mapping, body: crop.body,
            croppedHU: crop.hu, model: input.values)
    }

    /// The network and everything after it, on a volume `prepare` made with the same parameters.
    /// `prepared` is consumed: its model-grid input is released once the network has run (when
    /// the caller holds no other copy), before the post-processing reaches the run's memory peak.
    public func segment(_ prepared: consuming PreparedVolume, predictor: any WindowPredictor, progress: (Int, Int) throws -> Void = { _, _ in }) throws -> SegmentationResult {
        var timer = StageTimer(prepared.timings)
        let (probability, statistics) = try InferenceStage.run(prepared, predictor: predictor, parameters: parameters, options: options, progress: progress)
        prepared.model = []
        timer.lap(.inference)
        let mapping = prepared.mapping
        let (modelDims, cropDims, scale) = (mapping.modelDims, mapping.crop.dims, mapping.toModel)
        guard keepsProbabilities else {
            // Thresholded in the last resampling pass: the crop-sized float map is never made.
            let threshold = options.threshold
            let lungs = Resampling.linear(probability, dims: modelDims, to: cropDims, scale: scale) { $0 >= threshold ? UInt8(1) : 0 }
            timer.lap(.resampleBack)
            return finish(prepared, lungs: consume lungs, kept: nil, windows: statistics, timer: timer)
        }
        let back = Resampling.linear(probability, dims: modelDims, to: cropDims, scale: scale)
        timer.lap(.resampleBack)
        return finish(prepared, probability: consume back, windows: statistics, timer: timer)
    }

    /// The stages after the network on a lung probability map saved earlier on the input grid
    /// (`segment --probabilities`): the same crop, threshold, post-processing and measurements as
    /// `segment`, without a network. No windows are run.
    public func postprocess(_ volume: Volume, probability: [Float]) throws -> SegmentationResult {
        guard probability.count == volume.count else { throw PipelineError.probabilityGridMismatch(expected: volume.dims, count: probability.count) }
        let prepared = try prepare(volume)
        var timer = StageTimer(prepared.timings)
        let cropped = prepared.mapping.fromInputGrid(probability)
        timer.lap(.cropProbability)
        return finish(prepared, probability: consume cropped, windows: SlidingWindow.Statistics(windows: 0, run: 0, skipped: 0), timer: timer)
    }

    /// Everything after the network: threshold and post-process, measure. `probability` is the
    /// lung probability on the cropped, oriented grid of `prepared`.
    func finish(_ prepared: PreparedVolume, probability: consuming [Float], windows: SlidingWindow.Statistics, timer: StageTimer) -> SegmentationResult {
        let lungs = probability.map { $0 >= options.threshold ? UInt8(1) : 0 }
        // Not kept, the map is released here, before the post-processing's peak.
        let kept: CroppedProbability?
        if keepsProbabilities {
            kept = CroppedProbability(values: consume probability, mapping: prepared.mapping)
        } else {
            kept = nil
            _ = consume probability
        }
        return finish(prepared, lungs: consume lungs, kept: kept, windows: windows, timer: timer)
    }

    /// Everything after the threshold: post-process, measure. `lungs` is the thresholded map on
    /// the cropped, oriented grid of `prepared`.
    func finish(_ prepared: PreparedVolume, lungs: consuming [UInt8], kept: CroppedProbability?, windows: SlidingWindow.Statistics, timer: StageTimer)
        -> SegmentationResult {
        var timer = timer
        let mask = PostprocessStage.run(prepared, lungs: consume lungs, parameters: parameters, options: options)
        timer.lap(.postprocess)
        let measured = MeasureStage.run(
            prepared.volume, wholeNumbers: prepared.wholeNumbers, labels: mask.labels, airways: mask.airways, mapping: prepared.mapping)
        timer.lap(.measure)
        return SegmentationResult(
            labels: measured.labels, splitLungs: options.splitLungs,
            croppedProbability: kept,
            windows: windows, timings: timer.timings, rightVolumeML: measured.rightML, leftVolumeML: measured.leftML,
            totalVolumeML: measured.rightML + measured.leftML, rightMeanHU: measured.rightMeanHU, leftMeanHU: measured.leftMeanHU,
            lungCount: mask.lungCount, airwaysML: measured.airwaysML, airwayVoxels: measured.airwayVoxels, removed: mask.removed,
            warnings: prepared.warnings + mask.warnings + measured.warnings(lungCount: mask.lungCount), intensityRange: prepared.intensityRange)
    }
}
