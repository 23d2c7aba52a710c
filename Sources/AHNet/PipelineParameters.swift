/// How a model expects its input to be prepared and its output read: the parameters that travel
/// with the weights. The defaults are those published on the model card of NVIDIA's Clara
/// COVID-19 CT lung segmentation model; what the card leaves open (intensity scaling,
/// orientation) follows MONAI-era Clara configs.
public struct PipelineParameters: Equatable, Sendable, Codable {
    /// Voxel spacing the network was trained on, in mm, along MONAI's H, W, D (NIfTI i, j, k).
    public var spacing: Spacing3
    /// Intensities are clipped to `[clipMin, clipMax]` (HU) ...
    public var clipMin: Double
    public var clipMax: Double
    /// ... then mapped linearly from `[clipMin, clipMax]` to `[scaledMin, scaledMax]`.
    public var scaledMin: Double
    public var scaledMax: Double
    /// Sliding-window size in voxels along i, j, k; each a multiple of 32.
    public var windowSize: Size3
    /// Axis codes the network expects its input in (nibabel convention), e.g. "RAS".
    public var orientation: String
    /// The output channel that means "lung".
    public var foregroundLabel: Int

    public init(
        spacing: Spacing3, clipMin: Double, clipMax: Double, scaledMin: Double, scaledMax: Double, windowSize: Size3,
        orientation: String, foregroundLabel: Int
    ) {
        self.spacing = spacing
        self.clipMin = clipMin
        self.clipMax = clipMax
        self.scaledMin = scaledMin
        self.scaledMax = scaledMax
        self.windowSize = windowSize
        self.orientation = orientation
        self.foregroundLabel = foregroundLabel
    }

    /// NVIDIA's model card: 0.8 x 0.8 x 5 mm, clip to [-1500, 500] HU, 224 x 224 x 32 windows,
    /// label 1; scaled to [0, 1] and RAS as MONAI-era configs do (not published on the card).
    public static let clara = PipelineParameters(
        spacing: Spacing3(0.8, 0.8, 5.0), clipMin: -1500, clipMax: 500, scaledMin: 0, scaledMax: 1, windowSize: Size3(224, 224, 32),
        orientation: "RAS", foregroundLabel: 1)
}
