import AHNet

/// The header fields of a NIfTI image that describe its grid, kept so that an output (a mask, a
/// probability map) can be written on exactly the grid of its source.
///
/// These are values copied out of libnifti's `nifti_image`; no C memory is owned here.
public struct NIfTIHeader: Equatable, Sendable {
    /// NIfTI version of the source file: 1 (NIfTI-1 or ANALYZE 7.5) or 2.
    public var niftiVersion: Int
    /// Grid size along i, j, k.
    public var dims: Size3
    /// pixdim[0...7] as stored: pixdim[0] is qfac, pixdim[1...3] the voxel spacing.
    public var pixdim: [Double]
    /// Datatype code of the source voxels.
    public var datatypeCode: Int32
    public var qformCode: Int32
    public var sformCode: Int32
    /// The quaternion parameters of the qform (b, c, d), its offset (x, y, z) and qfac.
    public var quaternion: [Double]
    public var quaternionOffset: [Double]
    public var qfac: Double
    /// The sform rows (srow_x, srow_y, srow_z), each of four values.
    public var sformRows: [[Double]]
    /// NIFTI_UNITS_* codes of the spatial and temporal units.
    public var xyzUnits: Int32
    public var timeUnits: Int32
    public var toffset: Double
    public var sliceCode: Int32
    public var sliceStart: Int64
    public var sliceEnd: Int64
    public var sliceDuration: Double
    /// freq_dim, phase_dim, slice_dim.
    public var dimInfo: [Int32]
    /// The free-text description (at most 79 bytes).
    public var descrip: String
    /// Source intensity scaling and display range, as stored; outputs reset them.
    public var sclSlope: Double
    public var sclInter: Double
    public var calMin: Double
    public var calMax: Double
    /// Source intent, as stored; outputs clear it.
    public var intentCode: Int32
    public var intentName: String

    public init(
        niftiVersion: Int, dims: Size3, pixdim: [Double], datatypeCode: Int32, qformCode: Int32,
        sformCode: Int32, quaternion: [Double], quaternionOffset: [Double], qfac: Double,
        sformRows: [[Double]], xyzUnits: Int32, timeUnits: Int32, toffset: Double, sliceCode: Int32,
        sliceStart: Int64, sliceEnd: Int64, sliceDuration: Double, dimInfo: [Int32], descrip: String,
        sclSlope: Double, sclInter: Double, calMin: Double, calMax: Double, intentCode: Int32,
        intentName: String
    ) {
        self.niftiVersion = niftiVersion
        self.dims = dims
        self.pixdim = pixdim
        self.datatypeCode = datatypeCode
        self.qformCode = qformCode
        self.sformCode = sformCode
        self.quaternion = quaternion
        self.quaternionOffset = quaternionOffset
        self.qfac = qfac
        self.sformRows = sformRows
        self.xyzUnits = xyzUnits
        self.timeUnits = timeUnits
        self.toffset = toffset
        self.sliceCode = sliceCode
        self.sliceStart = sliceStart
        self.sliceEnd = sliceEnd
        self.sliceDuration = sliceDuration
        self.dimInfo = dimInfo
        self.descrip = descrip
        self.sclSlope = sclSlope
        self.sclInter = sclInter
        self.calMin = calMin
        self.calMax = calMax
        self.intentCode = intentCode
        self.intentName = intentName
    }

    /// The voxel spacing along i, j, k in the header's units (pixdim[1...3]).
    public var spacing: Spacing3 { Spacing3(pixdim[1], pixdim[2], pixdim[3]) }

    /// The header's unit of length, as a word.
    public var spatialUnitName: String {
        switch xyzUnits {
        case 1: "m"
        case 2: "mm"
        case 3: "µm"
        default: "unknown"
        }
    }
}
