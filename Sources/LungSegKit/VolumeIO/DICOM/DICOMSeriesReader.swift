import AHNet
import Foundation

/// Reads a folder of DICOM files into a CT ``Volume`` through DCMTK: finds the series, checks and
/// sorts its slices, decodes them (JPEG, JPEG-LS and RLE included) and applies each slice's
/// RescaleSlope/RescaleIntercept.
public enum DICOMSeriesReader {
    /// Reads the CT series of `folder`.
    ///
    /// - Parameters:
    ///   - folder: a folder of DICOM files (subfolders are searched; files that are not DICOM are skipped).
    ///   - series: a SeriesInstanceUID; nil picks the CT series with the most slices, preferring
    ///     ORIGINAL\PRIMARY images.
    ///   - limits: the largest volume to allocate.
    /// - Throws: ``DICOMError`` naming the folder, series or file and what is wrong.
    public static func read(folder: String, series: String? = nil, limits: NIfTIReadLimits = .standard) throws(DICOMError) -> DICOMSeries {
        let scan = try DICOMFolderScan(folder: folder)
        let selection = try DICOMSeriesSelection(scan: scan, requested: series)
        let stack = try DICOMSliceStack(uid: selection.uid, images: selection.images)
        let (voxelCount, overflow) = stack.dims.array.reduce((1, false)) { partial, size in
            let product = partial.0.multipliedReportingOverflow(by: size)
            return (product.partialValue, partial.1 || product.overflow)
        }
        guard !overflow, Int64(voxelCount) <= limits.maxVoxels else {
            throw .tooLarge(voxels: overflow ? Int64.max : Int64(voxelCount), limit: limits.maxVoxels)
        }
        let scalings = try stack.slices.map { slice throws(DICOMError) in try SliceScaling(slice) }
        let voxels = try decode(stack.slices, scalings: scalings, sliceSize: stack.dims[0] * stack.dims[1])

        var warnings = selection.warnings + stack.warnings
        let unscaled = scalings.filter { !$0.isStated }.count
        if unscaled > 0 {
            warnings.append("\(unscaled) slice\(unscaled == 1 ? " has" : "s have") no RescaleSlope/RescaleIntercept; stored values taken as HU")
        }
        guard let first = stack.slices.first else { throw .tooFewSlices(uid: selection.uid, count: 0) }
        let summary = DICOMSeriesSummary(
            uid: selection.uid, modality: first.modality, seriesNumber: first.seriesNumber,
            seriesDescription: first.seriesDescription, imageCount: stack.slices.count)
        let header = NIfTIHeader.synthesized(
            dims: stack.dims, affine: stack.affine, datatypeCode: storedDatatype(stack.slices).rawValue,
            description: "DICOM series \(selection.uid)")
        let volume = Volume(dims: stack.dims, spacing: stack.spacing, affine: stack.affine, voxels: voxels, header: header)
        let syntaxes = Set(stack.slices.map(\.transferSyntaxUID)).sorted().map(DICOMFile.transferSyntaxName)
        return DICOMSeries(
            volume: volume, summary: summary, transferSyntaxes: syntaxes, availableSeries: scan.summaries, warnings: warnings,
            slicePaths: stack.slices.map(\.path))
    }

    /// Decodes every slice into its plane of the volume (in parallel: DCMTK's decoders keep their
    /// state per call) and turns stored values into HU.
    private static func decode(_ slices: [DICOMSliceHeader], scalings: [SliceScaling], sliceSize: Int) throws(DICOMError) -> [Float] {
        let failures = ParallelResults<DICOMError>(count: slices.count)
        let voxels = [Float](unsafeUninitializedCapacity: sliceSize * slices.count) { buffer, initialized in
            let planes = UnsafeMutableBufferPointerBox(buffer)
            DispatchQueue.concurrentPerform(iterations: slices.count) { k in
                let plane = planes.slice(k * sliceSize, count: sliceSize)
                plane.initialize(repeating: 0)
                do throws(DICOMError) {
                    try DICOMFile.decodePixels(of: slices[k], into: plane)
                    scalings[k].apply(to: plane)
                } catch {
                    failures[k] = error
                }
            }
            initialized = sliceSize * slices.count
        }
        if let failure = failures.values.lazy.compactMap({ $0 }).first { throw failure }
        return voxels
    }

    /// The NIfTI datatype that holds the series' stored values (float32 when slices differ).
    private static func storedDatatype(_ slices: [DICOMSliceHeader]) -> NIfTIDatatype {
        let formats = Set(slices.map { [$0.bitsAllocated, $0.pixelRepresentation] })
        guard formats.count == 1, let format = formats.first else { return .float32 }
        switch (format[0], format[1]) {
        case (8, 0): return .uint8
        case (8, _): return .int8
        case (16, 0): return .uint16
        default: return .int16
        }
    }
}

/// A slice's pixel format checked and its stored-value-to-HU scaling.
private struct SliceScaling: Sendable {
    var slope: Double
    var intercept: Double
    /// Whether the file states RescaleSlope and RescaleIntercept (else 1 and 0 are assumed).
    var isStated: Bool

    init(_ slice: DICOMSliceHeader) throws(DICOMError) {
        let photometric = slice.photometricInterpretation
        guard photometric == "MONOCHROME1" || photometric == "MONOCHROME2", slice.samplesPerPixel == 1 else {
            let value = slice.samplesPerPixel == 1 ? photometric : "\(photometric) with \(slice.samplesPerPixel) samples per pixel"
            throw .unsupportedPhotometric(path: slice.path, value: value)
        }
        guard [8, 16].contains(slice.bitsAllocated), (1...slice.bitsAllocated).contains(slice.bitsStored),
              slice.highBit == slice.bitsStored - 1, slice.pixelRepresentation <= 1
        else {
            throw .unsupportedBitDepth(
                path: slice.path, bitsAllocated: slice.bitsAllocated, bitsStored: slice.bitsStored, highBit: slice.highBit)
        }
        slope = slice.rescaleSlope ?? 1
        intercept = slice.rescaleIntercept ?? 0
        isStated = slice.rescaleSlope != nil && slice.rescaleIntercept != nil
        guard slope.isFinite, slope != 0, intercept.isFinite else {
            throw .invalidRescale(path: slice.path, slope: slope, intercept: intercept)
        }
    }

    /// Stored values to HU, in double precision as NIfTIReader applies scl_slope/scl_inter.
    func apply(to plane: UnsafeMutableBufferPointer<Float>) {
        guard slope != 1 || intercept != 0 else { return }
        for index in plane.indices { plane[index] = Float(Double(plane[index]) * slope + intercept) }
    }
}

/// Lets concurrent iterations write disjoint planes of one buffer.
private struct UnsafeMutableBufferPointerBox: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<Float>
    init(_ base: UnsafeMutableBufferPointer<Float>) { self.base = base }

    func slice(_ start: Int, count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: base[start..<(start + count)])
    }
}
