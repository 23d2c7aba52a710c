import AHNet

/// Stage `inference`: sliding windows over the model-grid input through the predictor, blended;
/// windows whose footprint holds no body voxel are skipped.
enum InferenceStage {
    static func run(
        _ prepared: PreparedVolume, predictor: any WindowPredictor, parameters: PipelineParameters, options: SegmentationOptions,
        progress: (Int, Int) throws -> Void
    ) throws -> (probability: [Float], statistics: SlidingWindow.Statistics) {
        let mapping = prepared.mapping
        let (lower, toSource) = (mapping.crop.lower, mapping.toSource)
        let body = options.bodyCrop ? prepared.body.map { (table: SummedVolume($0.mask, dims: $0.dims), dims: $0.dims, factors: $0.factors) } : nil
        let window = SlidingWindow(windowSize: parameters.windowSize, overlap: options.overlap, mode: options.blend, batchSize: options.batchSize)
        return try window.run(
            prepared.model, dims: mapping.modelDims, predictor: predictor,
            include: { lowerModel, upperModel in
                guard let body else { return true }
                // The window's footprint on the oriented grid, then on the coarse body grid.
                let lo = Index3.byAxis { axis -> Int in
                    let fine = lower[axis] + Int((Double(lowerModel[axis]) * toSource[axis]).rounded(.down))
                    return max(fine / body.factors[axis], 0)
                }
                let hi = Index3.byAxis { axis -> Int in
                    let fine = lower[axis] + Int((Double(upperModel[axis] - 1) * toSource[axis]).rounded(.up)) + 1
                    return min((fine + body.factors[axis] - 1) / body.factors[axis], body.dims[axis])
                }
                return body.table.count(lower: lo, upper: hi) > 0
            }, progress: progress)
    }
}
