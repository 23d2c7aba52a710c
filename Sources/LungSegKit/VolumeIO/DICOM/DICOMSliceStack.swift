import AHNet
import Foundation

/// The slices of one series checked, sorted and placed on a regular grid, with the grid's
/// voxel-to-world matrix in NIfTI's RAS+ world.
///
/// Voxel i runs along the columns of a slice (the ImageOrientationPatient row direction, spacing
/// PixelSpacing[1]), j along its rows (the column direction, spacing PixelSpacing[0]) and k along
/// the slices sorted by position on the slice normal (row x column direction); never by file
/// name or instance number. The k step is (last position - first position) / (slices - 1).
/// DICOM positions are LPS+; NIfTI world is RAS+, so x and y change sign.
struct DICOMSliceStack: Sendable {
    /// The slices in k order.
    var slices: [DICOMSliceHeader]
    /// Grid size along i, j, k: Columns, Rows, slices.
    var dims: Size3
    /// Spacing along i, j, k in millimetres.
    var spacing: Spacing3
    /// Voxel (i, j, k) to RAS+ millimetres.
    var affine: Affine
    var warnings: [String]

    /// Direction cosines that differ by less than this are the same orientation (DICOM writers
    /// print them with 6 or more digits).
    static let orientationTolerance = 1e-3
    /// A slice whose normal is more than this many degrees off the series' is a localizer
    /// (another plane); a smaller difference is an inconsistent series.
    static let localizerAngleDegrees = 10.0
    /// Slices closer than this (mm) along the normal are at the same position.
    static let duplicateDistance = 0.01
    /// A gap of more than this many median steps means a missing slice.
    static let missingSliceFactor = 1.5
    /// Slice centres further than this share of a step from the regular grid earn a warning.
    static let irregularityShare = 0.01
    /// A step more than this many degrees off the normal (gantry tilt) earns a warning.
    static let tiltWarningDegrees = 0.1

    init(uid: String, images: [DICOMSliceHeader]) throws(DICOMError) {
        var warnings: [String] = []
        let placed = try images.map { image throws(DICOMError) in try PlacedSlice(image) }
        let slices = try Self.droppingLocalizers(placed, uid: uid, warnings: &warnings)
        guard slices.count >= 2, let first = slices.first else { throw .tooFewSlices(uid: uid, count: slices.count) }
        try Self.checkGrid(slices, like: first)

        let normal = first.normal
        let sorted = slices.sorted { ($0.distance(along: normal), $0.header.path) < ($1.distance(along: normal), $1.header.path) }
        let steps = zip(sorted, sorted.dropFirst()).map { $1.distance(along: normal) - $0.distance(along: normal) }
        for (index, step) in steps.enumerated() where step < Self.duplicateDistance {
            throw .duplicatePosition(path: sorted[index + 1].header.path, otherPath: sorted[index].header.path, position: sorted[index].position)
        }
        let medianStep = steps.sorted()[(steps.count - 1) / 2]
        for (index, step) in steps.enumerated() where step > Self.missingSliceFactor * medianStep {
            throw .missingSlice(
                uid: uid, afterPath: sorted[index].header.path, beforePath: sorted[index + 1].header.path, gap: step,
                spacing: medianStep)
        }

        let origin = sorted[0].position
        let last = sorted[sorted.count - 1].position
        let step = (0..<3).map { (last[$0] - origin[$0]) / Double(sorted.count - 1) }
        let stepLength = norm(step)
        warnings += Self.regularityWarnings(sorted, origin: origin, step: step, steps: steps)
        let tilt = acos(min(1, abs(dot(step, normal)) / stepLength)) * 180 / .pi
        if tilt > Self.tiltWarningDegrees {
            warnings.append(String(
                format: "series %@: the slices are shifted along their plane (gantry tilt %.2f°); the grid is sheared, which the "
                    + "affine (sform) holds exactly and the qform only approximately", uid, tilt))
        }

        // LPS columns of the affine, then to RAS by negating x and y (zeros kept positive, for printing).
        let columns = [first.row.map { $0 * first.pixelSpacing[1] }, first.column.map { $0 * first.pixelSpacing[0] }, step, origin]
        var rows = (0..<3).map { axis in columns.map { column in (axis < 2 ? -column[axis] : column[axis]) + 0 } }
        rows.append([0, 0, 0, 1])
        self.slices = sorted.map(\.header)
        self.dims = Size3(first.header.columns, first.header.rows, sorted.count)
        self.spacing = Spacing3(first.pixelSpacing[1], first.pixelSpacing[0], stepLength)
        self.affine = Affine(rows: rows)
        self.warnings = warnings
    }

    /// Keeps the slices of the most common orientation. Slices in another plane are localizers
    /// and are dropped with a warning; slices nearly in the same plane, or a tie between planes,
    /// make the series inconsistent.
    private static func droppingLocalizers(
        _ slices: [PlacedSlice], uid: String, warnings: inout [String]
    ) throws(DICOMError) -> [PlacedSlice] {
        var groups: [[PlacedSlice]] = []
        for slice in slices {
            if let index = groups.firstIndex(where: { $0[0].hasOrientation(of: slice) }) {
                groups[index].append(slice)
            } else {
                groups.append([slice])
            }
        }
        // The largest group first; between equal ones, the one whose first file sorts first.
        groups.sort { ($1.count, $0[0].header.path) < ($0.count, $1[0].header.path) }
        guard let main = groups.first else { return [] }
        for other in groups.dropFirst() {
            let cosine = abs(dot(main[0].normal, other[0].normal))
            let isOtherPlane = cosine < cos(Self.localizerAngleDegrees * .pi / 180)
            guard isOtherPlane, other.count < main.count else {
                throw .inconsistentOrientation(
                    path: other[0].header.path, expected: main[0].storedOrientation, found: other[0].storedOrientation)
            }
            warnings.append(
                "series \(uid): \(other.count) slice\(other.count == 1 ? "" : "s") in another plane left out as localizer\(other.count == 1 ? "" : "s") "
                    + "(e.g. \(other[0].header.path))")
        }
        return main
    }

    /// Every slice must have the first one's Rows, Columns and PixelSpacing.
    private static func checkGrid(_ slices: [PlacedSlice], like first: PlacedSlice) throws(DICOMError) {
        func size(_ slice: PlacedSlice) -> String { "\(slice.header.rows) x \(slice.header.columns) pixels (Rows x Columns)" }
        func spacing(_ slice: PlacedSlice) -> String { "PixelSpacing \(slice.pixelSpacing[0]) x \(slice.pixelSpacing[1]) mm" }
        for slice in slices {
            if slice.header.rows != first.header.rows || slice.header.columns != first.header.columns {
                throw .inconsistentGrid(path: slice.header.path, expected: size(first), found: size(slice))
            }
            let agrees = (0..<2).allSatisfy { abs(slice.pixelSpacing[$0] - first.pixelSpacing[$0]) <= 1e-4 * first.pixelSpacing[$0] }
            if !agrees { throw .inconsistentGrid(path: slice.header.path, expected: spacing(first), found: spacing(slice)) }
        }
    }

    /// Warns when slice centres stray from the regular grid the affine describes.
    private static func regularityWarnings(_ sorted: [PlacedSlice], origin: [Double], step: [Double], steps: [Double]) -> [String] {
        var largestOffset = 0.0
        for (k, slice) in sorted.enumerated() {
            let expected = (0..<3).map { origin[$0] + Double(k) * step[$0] }
            largestOffset = max(largestOffset, norm(zip(slice.position, expected).map { $0 - $1 }))
        }
        let stepLength = norm(step)
        guard largestOffset > Self.irregularityShare * stepLength, let smallest = steps.min(), let largest = steps.max() else { return [] }
        return [String(
            format: "slice spacing varies from %.4g to %.4g mm; the grid uses the mean step %.4g mm, so slice centres are up to %.3g mm off",
            smallest, largest, stepLength, largestOffset)]
    }
}

/// A slice with its geometry checked and normalised.
private struct PlacedSlice: Sendable {
    var header: DICOMSliceHeader
    var position: [Double]
    /// Unit row and column directions (LPS) and their cross product.
    var row: [Double]
    var column: [Double]
    var normal: [Double]
    var pixelSpacing: [Double]

    init(_ header: DICOMSliceHeader) throws(DICOMError) {
        guard header.numberOfFrames == 1 else { throw .unsupportedMultiFrame(path: header.path, frames: header.numberOfFrames) }
        guard let position = header.imagePosition, position.allSatisfy(\.isFinite) else {
            throw .missingGeometry(path: header.path, attribute: "ImagePositionPatient")
        }
        guard let orientation = header.imageOrientation, orientation.allSatisfy(\.isFinite) else {
            throw .missingGeometry(path: header.path, attribute: "ImageOrientationPatient")
        }
        let row = Array(orientation[0..<3])
        let column = Array(orientation[3..<6])
        // Cosines are printed with limited digits: near-unit, near-orthogonal vectors are fine.
        guard abs(norm(row) - 1) < 0.01, abs(norm(column) - 1) < 0.01, abs(dot(row, column)) < 0.01 else {
            throw .missingGeometry(path: header.path, attribute: "ImageOrientationPatient (not two orthogonal unit vectors)")
        }
        guard let spacing = header.pixelSpacing, spacing.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw .missingGeometry(path: header.path, attribute: "PixelSpacing")
        }
        guard header.rows > 0, header.columns > 0 else { throw .missingGeometry(path: header.path, attribute: "Rows/Columns") }
        self.header = header
        self.position = position
        self.row = row.map { $0 / norm(row) }
        self.column = column.map { $0 / norm(column) }
        self.normal = cross(self.row, self.column)
        self.pixelSpacing = spacing
    }

    var orientation: [Double] { row + column }

    /// ImageOrientationPatient as the file states it (for messages).
    var storedOrientation: [Double] { header.imageOrientation ?? orientation }

    func distance(along normal: [Double]) -> Double { dot(position, normal) }

    func hasOrientation(of other: PlacedSlice) -> Bool {
        zip(orientation, other.orientation).allSatisfy { abs($0 - $1) <= DICOMSliceStack.orientationTolerance }
    }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map(*).reduce(0, +) }
private func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
private func cross(_ a: [Double], _ b: [Double]) -> [Double] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}
