import AHNet
import Foundation

/// Stage `resample`: the cropped CT resampled linearly to the model spacing, clipped and scaled to
/// the model's input range.
enum ResampleStage {
    struct ModelInput {
        let values: [Float]
        let dims: [Int]
        /// Source voxels per model voxel, per axis.
        let toSource: [Double]
        let warnings: [PipelineWarning]
    }

    static func run(_ hu: [Float], dims cropDims: [Int], spacing: [Double], parameters: PipelineParameters) -> ModelInput {
        let modelDims = Resampling.dims(for: cropDims, spacing: spacing, newSpacing: parameters.spacing)
        var warnings: [PipelineWarning] = []
        // A 3D model sees a slab thinner than a few of its slices as one slice in a window of
        // padding: the shipped model finds nothing there (docs/model: a 1 mm slab, Dice 0).
        let coverage = Double(cropDims[2]) * spacing[2]
        if coverage < 4 * parameters.spacing[2] {
            warnings.append(.thinCoverage(mm: coverage, modelSliceMM: parameters.spacing[2], windowSlices: parameters.windowSize[2]))
        }
        let toSource = (0..<3).map { parameters.spacing[$0] / spacing[$0] }
        var model = Resampling.linear(hu, dims: cropDims, to: modelDims, scale: toSource)
        let (low, high) = (Float(parameters.clipMin), Float(parameters.clipMax))
        let (outLow, outHigh) = (Float(parameters.scaledMin), Float(parameters.scaledMax))
        let factor = (outHigh - outLow) / (high - low)
        for index in model.indices { model[index] = (min(max(model[index], low), high) - low) * factor + outLow }
        return ModelInput(values: model, dims: modelDims, toSource: toSource, warnings: warnings)
    }
}
