import Foundation

/// What the pipeline noticed and the user should know; the description is the line the command
/// line prints and the report lists.
public enum PipelineWarning: Sendable, Equatable, CustomStringConvertible {
    /// The intensities do not look like HU (air should be near -1000).
    case notHounsfieldUnits(lowest: Float, highest: Float)
    /// No body above -500 HU: the whole volume was searched.
    case noBody
    /// The CT is a slab a few model slices thick: the 3D model sees mostly padding.
    case thinCoverage(mm: Double, modelSliceMM: Double, windowSlices: Int)
    /// The model's orientation has no axial third axis: the anatomical post-processing was skipped.
    case anatomySkipped(orientation: String)
    /// Lung that the image's own border cuts lies outside the body's outline: it was kept.
    case lungCutByImageBorder(ml: Double)
    /// The lungs touched and were separated along their junction.
    case lungsSeparatedAtJunction
    /// Only one lung was found; it is named by its side.
    case oneLungOnly(right: Bool)
    /// Without the anatomical post-processing: one component, split at its centre.
    case oneComponentSplitAtCentre
    case noLung
    /// One lung is less than a third of the other.
    case unequalLungs(rightML: Double, leftML: Double)
    /// Mask voxels on the volume's border: the scan may not cover the lungs whole.
    case lungsTouchVolumeBorder

    public var description: String {
        switch self {
        case .notHounsfieldUnits(let low, let high):
            "intensities \(low)...\(high) do not look like HU (air should be near -1000)"
        case .noBody:
            "no body found above -500 HU; the whole volume is searched"
        case .thinCoverage(let mm, let slice, let window):
            String(format: "the CT covers only %.1f mm along its third axis (the model works on %.0f mm slices in windows of %d): the mask is unreliable",
                   mm, slice, window)
        case .anatomySkipped(let orientation):
            "the model's orientation \(orientation) has no axial third axis: the anatomical post-processing was skipped"
        case .lungCutByImageBorder(let ml):
            String(format: "%.0f mL of lung reaches the image's border, where the field of view cuts the chest: it was kept", ml)
        case .lungsSeparatedAtJunction:
            "the lungs touch; they were separated along the junction between them"
        case .oneLungOnly(let right):
            "only one lung was found (the \(right ? "right" : "left")); no second lung was invented"
        case .oneComponentSplitAtCentre:
            "the lungs form one component; right and left were split at its centre"
        case .noLung:
            "no lung found"
        case .unequalLungs(let right, let left):
            String(format: "one lung is much smaller than the other (right %.0f mL, left %.0f mL)", right, left)
        case .lungsTouchVolumeBorder:
            "the lungs touch the volume border: the scan may not cover them whole"
        }
    }
}
