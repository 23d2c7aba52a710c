import AHNet

/// Stage `post-process`: on the cropped, oriented grid, the thresholded probability (`lungs`) goes through the
/// anatomical post-processing (`AnatomicalPostprocessing`: body, airways, gas, islands, edge,
/// sides) or, without it, holes filled and sides by component. The labels stay on the crop; the
/// measure stage puts them on the input grid.
enum PostprocessStage {
    struct Mask {
        /// 1 = right lung, 2 = left lung, on the cropped, oriented grid.
        let labels: [UInt8]
        /// The trachea and main bronchi on the cropped, oriented grid, when found.
        let airways: [UInt8]?
        let removed: [(reason: RemovalReason, ml: Double)]
        let lungCount: Int
        let warnings: [PipelineWarning]
    }

    static func run(_ prepared: PreparedVolume, lungs: consuming [UInt8], parameters: PipelineParameters, options: SegmentationOptions) -> Mask {
        let mapping = prepared.mapping
        let (dims, lower, cropDims, croppedAffine) = (mapping.orientedDims, mapping.crop.lower, mapping.crop.dims, mapping.cropAffine)
        let grid = AnatomyGrid(dims: cropDims, affine: croppedAffine)
        var croppedLabels: [UInt8]
        var airwayMask: [UInt8]?
        var removed: [(reason: RemovalReason, ml: Double)] = []
        var lungCount: Int
        var warnings: [PipelineWarning] = []
        if options.anatomicalPostprocessing && grid.isAxial {
            var postprocessing = AnatomicalPostprocessing(grid: grid)
            postprocessing.imageFaces = [lower.i == 0, lower.i + cropDims.i == dims.i, lower.j == 0, lower.j + cropDims.j == dims.j]
            let outcome = postprocessing.run(mask: consume lungs, hu: prepared.croppedHU, coarse: prepared.body, fillHoles: options.fillHoles)
            croppedLabels = outcome.labels
            airwayMask = outcome.airways.voxelCount > 0 ? outcome.airways.mask : nil
            removed = outcome.removed.map { ($0.0, Double($0.1) * grid.voxelML) }
            lungCount = outcome.lungCount
            warnings += outcome.warnings
        } else {
            if options.anatomicalPostprocessing {
                warnings.append(.anatomySkipped(orientation: parameters.orientation))
            }
            let filled = options.fillHoles ? BinaryMask.fillHoles(lungs, dims: cropDims) : lungs
            let components = BinaryMask.label(filled, dims: cropDims)
            let (split, splitNote) = SidesByComponent.split(components, dims: cropDims, affine: croppedAffine)
            if let splitNote { warnings.append(splitNote) }
            croppedLabels = split
            lungCount = min(components.sizes.count - 1, 2)
        }
        return Mask(labels: croppedLabels, airways: airwayMask, removed: removed, lungCount: lungCount, warnings: warnings)
    }
}
