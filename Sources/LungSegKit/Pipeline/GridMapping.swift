import AHNet

/// How the model's input grid lies on the CT's: the CT reoriented to the model's orientation
/// (permutes and flips), cropped to the body (a box of the oriented grid), and the crop resampled
/// to the model spacing. What the stages after the network need to put a result back.
struct GridMapping: Sendable {
    /// Input grid to oriented grid.
    let reorientation: Reorientation
    /// Voxel to world (RAS+ mm) of the oriented grid.
    let orientedAffine: Affine
    /// The body crop, on the oriented grid.
    let crop: GridBox
    /// Size of the model-spacing grid the crop was resampled to.
    let modelDims: Size3
    /// Crop voxels per model voxel along each axis (the resampling's scale, crop to model).
    let toSource: Spacing3
    /// Model voxels per crop voxel along each axis (the resampling's scale, model back to crop).
    let toModel: Spacing3

    var orientedDims: Size3 { reorientation.targetDims }
    /// Voxel to world of the crop's own grid.
    var cropAffine: Affine { crop.affine(in: orientedAffine) }

    /// Values on the cropped, oriented grid put back on the input grid, `background` elsewhere
    /// (one pass: no oriented full-size copy).
    func toInputGrid<T>(_ cropped: [T], background: T) -> [T] {
        var values = [T](repeating: background, count: orientedDims.product)
        reorientation.scatter(cropped, box: crop, into: &values)
        return values
    }

    /// Values on the input grid taken to the cropped, oriented grid.
    func fromInputGrid<T>(_ values: [T]) -> [T] {
        reorientation.gather(values, box: crop)
    }
}
