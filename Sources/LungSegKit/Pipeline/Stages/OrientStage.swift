/// Stage `orient`: the CT brought to the model's orientation by permutes and flips only (no
/// interpolation), with its affine, dimensions and spacing there.
enum OrientStage {
    struct Oriented {
        let voxels: [Float]
        let reorientation: Reorientation
        let affine: Affine
        let dims: [Int]
        let spacing: [Double]
    }

    static func run(_ volume: Volume, to orientation: String) throws -> Oriented {
        let reorientation = try Reorientation(affine: volume.affine, dims: volume.dims, to: orientation)
        let affine = reorientation.affine(volume.affine)
        return Oriented(voxels: reorientation.apply(volume.voxels), reorientation: reorientation, affine: affine,
                        dims: reorientation.targetDims, spacing: affine.columnLengths)
    }
}
