/// How a model expects its input to be prepared and its output read: the parameters that travel
/// with the weights. The defaults are those published on the model card of NVIDIA's Clara
/// COVID-19 CT lung segmentation model.
public struct PipelineParameters: Equatable, Sendable, Codable {
    /// Voxel spacing the network was trained on, in mm, along MONAI's H, W, D (NIfTI i, j, k).
    public var spacing: [Double]
    /// Intensities are clipped to this range (HU) before scaling.
    public var intensityClip: ClosedRange<Double>
    /// Sliding-window size in voxels along H, W, D; each a multiple of 32.
    public var windowSize: [Int]
    /// The output channel that means "lung".
    public var foregroundLabel: Int

    public init(spacing: [Double], intensityClip: ClosedRange<Double>, windowSize: [Int], foregroundLabel: Int) {
        self.spacing = spacing
        self.intensityClip = intensityClip
        self.windowSize = windowSize
        self.foregroundLabel = foregroundLabel
    }

    /// NVIDIA's model card: 0.8 x 0.8 x 5 mm, clip to [-1500, 500] HU, 224 x 224 x 32 windows, label 1.
    public static let clara = PipelineParameters(
        spacing: [0.8, 0.8, 5.0], intensityClip: -1500...500, windowSize: [224, 224, 32], foregroundLabel: 1)
}
