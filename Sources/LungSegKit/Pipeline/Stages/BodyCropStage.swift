import AHNet

/// Stage `body crop`: the patient's body found on a grid of about 2 mm (every f-th voxel: it only
/// needs to be coarse), and the oriented CT cropped to it plus a margin. The same coarse body
/// later chooses the windows to run and seeds the anatomical `BodyMask`.
enum BodyCropStage {
    struct Cropped {
        /// The CT on the crop, in whole HU (`WholeHU`).
        let hu: [Int16]
        let box: GridBox
        /// The body on the coarse grid (nil when neither the crop nor the post-processing asked for it).
        let body: CoarseBody?
        let warnings: [PipelineWarning]
    }

    static func run(_ oriented: OrientStage.Oriented, options: SegmentationOptions) -> Cropped {
        let (dims, spacing) = (oriented.dims, oriented.spacing)
        let factors = spacing.map { max(1, Int(2.0 / $0)) }
        let reorientation = oriented.reorientation
        var body = options.bodyCrop || options.anatomicalPostprocessing
            ? CoarseBody(subsampled: reorientation.gather(oriented.voxels, box: GridBox(whole: dims), every: factors),
                         dims: dims.dividedRoundingUp(by: factors), factors: factors) : nil
        var warnings: [PipelineWarning] = []
        var box = GridBox(whole: dims)
        if options.bodyCrop {
            if let coarse = body, let found = BinaryMask.boundingBox(coarse.mask, dims: coarse.dims) {
                let margin = spacing.map { Int((options.bodyMarginMM / $0).rounded(.up)) }
                box = GridBox(lower: Index3.byAxis { max(found.lower[$0] * factors[$0] - margin[$0], 0) },
                              upper: Index3.byAxis { min(found.upper[$0] * factors[$0] + margin[$0], dims[$0]) })
            } else {
                warnings.append(.noBody)
            }
        }
        body?.offset = box.lower
        return Cropped(hu: reorientation.gather(oriented.voxels, box: box, convert: WholeHU.from), box: box, body: body, warnings: warnings)
    }
}
