import AHNet
import CNIfTI

extension NIfTIHeader {
    /// A NIfTI-1 header for a grid that did not come from a NIfTI file (a DICOM series), so that
    /// outputs are written on it: sform = `affine` (code 1, scanner anatomy), the qform derived
    /// from it by libnifti (exact unless the grid is sheared), millimetres, no scaling.
    ///
    /// - Parameters:
    ///   - datatypeCode: the NIfTI datatype that holds the source's stored values (informational).
    ///   - description: the `descrip` text, cut to 79 bytes.
    static func synthesized(dims: Size3, affine: Affine, datatypeCode: Int32, description: String) -> NIfTIHeader {
        var matrix = nifti_dmat44()
        withUnsafeMutableBytes(of: &matrix.m) { raw in
            for row in 0..<4 {
                for column in 0..<4 {
                    raw.storeBytes(of: affine.rows[row][column], toByteOffset: (row * 4 + column) * 8, as: Double.self)
                }
            }
        }
        var (qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        nifti_dmat44_to_quatern(matrix, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac)
        let spacing = affine.columnLengths
        var descrip = description
        while descrip.utf8.count > 79 { descrip.removeLast() }
        return NIfTIHeader(
            niftiVersion: 1, dims: dims, pixdim: [qfac] + spacing.array + [0, 0, 0, 0], datatypeCode: datatypeCode,
            qformCode: 1, sformCode: 1, quaternion: [qb, qc, qd], quaternionOffset: [qx, qy, qz], qfac: qfac,
            sformRows: Array(affine.rows.prefix(3)), xyzUnits: 2, timeUnits: 0, toffset: 0, sliceCode: 0, sliceStart: 0,
            sliceEnd: 0, sliceDuration: 0, dimInfo: [0, 0, 0], descrip: descrip, sclSlope: 1, sclInter: 0, calMin: 0,
            calMax: 0, intentCode: 0, intentName: "")
    }
}
