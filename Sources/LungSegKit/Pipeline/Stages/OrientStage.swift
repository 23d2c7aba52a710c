import AHNet

/// Stage `orient`: how the CT comes to the model's orientation by permutes and flips only (no
/// interpolation), with its affine, dimensions and spacing there. The voxels are not copied here:
/// the body crop reads the oriented crop straight from the input (`Reorientation.gather`).
enum OrientStage {
    struct Oriented {
        /// The CT on its input grid.
        let voxels: [Float]
        let reorientation: Reorientation
        let affine: Affine
        var dims: Size3 { reorientation.targetDims }
        var spacing: Spacing3 { affine.columnLengths }
    }

    static func run(_ volume: Volume, to orientation: String) throws -> Oriented {
        let reorientation = try Reorientation(affine: volume.affine, dims: volume.dims, to: orientation)
        return Oriented(voxels: volume.voxels, reorientation: reorientation, affine: reorientation.affine(volume.affine))
    }
}
