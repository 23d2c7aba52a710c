/// Stage `body crop`: the patient's body found on a grid of about 2 mm (every f-th voxel: it only
/// needs to be coarse), and the oriented CT cropped to it plus a margin. The same coarse body
/// later chooses the windows to run and seeds the anatomical `BodyMask`.
enum BodyCropStage {
    struct Cropped {
        /// The CT on the crop.
        let hu: [Float]
        let box: CropBox
        /// Subsampling factors of the coarse grid, its size, and the body on it (nil when neither
        /// the crop nor the post-processing asked for it).
        let factors: [Int]
        let coarseDims: [Int]
        let body: CoarseBody?
        let warnings: [PipelineWarning]
    }

    static func run(_ oriented: OrientStage.Oriented, options: SegmentationOptions) -> Cropped {
        let (dims, spacing) = (oriented.dims, oriented.spacing)
        let factors = spacing.map { max(1, Int(2.0 / $0)) }
        let coarseDims = (0..<3).map { (dims[$0] + factors[$0] - 1) / factors[$0] }
        var body = options.bodyCrop || options.anatomicalPostprocessing
            ? CoarseBody(subsampled: GridCopy.subsample(oriented.voxels, dims: dims, factors: factors), dims: coarseDims, factors: factors) : nil
        var warnings: [PipelineWarning] = []
        var lower = [0, 0, 0]
        var upper = dims
        if options.bodyCrop {
            if let box = body.flatMap({ BinaryMask.boundingBox($0.mask, dims: coarseDims) }) {
                let margin = (0..<3).map { Int((options.bodyMarginMM / spacing[$0]).rounded(.up)) }
                lower = (0..<3).map { max(box.lower[$0] * factors[$0] - margin[$0], 0) }
                upper = (0..<3).map { min(box.upper[$0] * factors[$0] + margin[$0], dims[$0]) }
            } else {
                warnings.append(.noBody)
            }
        }
        body?.offset = lower
        let box = CropBox(lower: lower, upper: upper)
        return Cropped(hu: GridCopy.crop(oriented.voxels, dims: dims, lower: lower, upper: upper), box: box, factors: factors,
                       coarseDims: coarseDims, body: body, warnings: warnings)
    }
}

/// A box of a grid: its first voxel and its size per axis.
struct CropBox: Sendable, Equatable {
    let lower: [Int]
    let dims: [Int]
    var upper: [Int] { (0..<3).map { lower[$0] + dims[$0] } }

    init(lower: [Int], upper: [Int]) {
        self.lower = lower
        dims = (0..<3).map { upper[$0] - lower[$0] }
    }
}
