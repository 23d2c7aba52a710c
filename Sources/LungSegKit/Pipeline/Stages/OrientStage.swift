import AHNet

/// Stage `orient`: the CT brought to the model's orientation by permutes and flips only (no
/// interpolation), with its affine, dimensions and spacing there.
enum OrientStage {
    struct Oriented {
        let voxels: [Float]
        let reorientation: Reorientation
        let affine: Affine
        var dims: Size3 { reorientation.targetDims }
        var spacing: Spacing3 { affine.columnLengths }
    }

    static func run(_ volume: Volume, to orientation: String) throws -> Oriented {
        let reorientation = try Reorientation(affine: volume.affine, dims: volume.dims, to: orientation)
        return Oriented(voxels: reorientation.apply(volume.voxels), reorientation: reorientation, affine: reorientation.affine(volume.affine))
    }
}
