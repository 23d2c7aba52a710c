import AHNet
import Foundation

/// Stage `resample`: the cropped CT resampled linearly to the model spacing, clipped and scaled to
/// the model's input range.
enum ResampleStage {
    struct ModelInput {
        let values: [Float]
        let dims: Size3
        /// Source voxels per model voxel, per axis, and model voxels per source voxel.
        let toSource: Spacing3
        let toModel: Spacing3
        let warnings: [PipelineWarning]
    }

    /// `hu` on the crop: the whole-number crop, or a float one.
    static func run<Value: ResamplingInput>(_ hu: [Value], dims cropDims: Size3, spacing: Spacing3, parameters: PipelineParameters) -> ModelInput {
        let modelDims = Resampling.dims(for: cropDims, spacing: spacing, newSpacing: parameters.spacing)
        var warnings: [PipelineWarning] = []
        // A 3D model sees a slab thinner than a few of its slices as one slice in a window of
        // padding: the shipped model finds nothing there (docs/model: a 1 mm slab, Dice 0).
        let coverage = Double(cropDims.k) * spacing.k
        if coverage < 4 * parameters.spacing.k {
            warnings.append(.thinCoverage(mm: coverage, modelSliceMM: parameters.spacing.k, windowSlices: parameters.windowSize.k))
        }
        let toSource = parameters.spacing.zip(spacing, /)
        let (low, high) = (Float(parameters.clipMin), Float(parameters.clipMax))
        let (outLow, outHigh) = (Float(parameters.scaledMin), Float(parameters.scaledMax))
        let factor = (outHigh - outLow) / (high - low)
        let model = Resampling.linear(hu, dims: cropDims, to: modelDims, scale: toSource) { (min(max($0, low), high) - low) * factor + outLow }
        return ModelInput(values: model, dims: modelDims, toSource: toSource, toModel: spacing.zip(parameters.spacing, /), warnings: warnings)
    }
}
