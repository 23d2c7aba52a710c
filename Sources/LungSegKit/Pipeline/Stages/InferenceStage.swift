import AHNet

/// Stage `inference`: sliding windows over the model-grid input through the predictor, blended;
/// windows whose footprint holds no body voxel are skipped.
enum InferenceStage {
    static func run(
        _ prepared: PreparedVolume, predictor: any WindowPredictor, parameters: PipelineParameters, options: SegmentationOptions,
        progress: (Int, Int) throws -> Void
    ) throws -> (probability: [Float], statistics: SlidingWindow.Statistics) {
        let (factors, coarseDims, lower, toSource) = (prepared.factors, prepared.coarseDims, prepared.lower, prepared.toSource)
        let bodyTable = options.bodyCrop ? prepared.body.map { SummedVolume($0.mask, dims: coarseDims) } : nil
        let window = SlidingWindow(windowSize: parameters.windowSize, overlap: options.overlap, mode: options.blend, batchSize: options.batchSize)
        return try window.run(
            prepared.model, dims: prepared.modelDims, predictor: predictor,
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
    }
}
