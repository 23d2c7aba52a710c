import AHNet
import CNIfTI

extension NIfTIHeader {
    /// Copies the grid-describing fields out of a libnifti image.
    init(_ nim: nifti_image, version: Int) {
        let dim = tupleValues(nim.dim, as: Int64.self)
        let sto = tupleValues(nim.sto_xyz.m, as: Double.self)
        self.init(
            niftiVersion: version,
            dims: Size3(Int(dim[1]), Int(dim[2]), Int(dim[3])),
            pixdim: tupleValues(nim.pixdim, as: Double.self),
            datatypeCode: nim.datatype,
            qformCode: nim.qform_code,
            sformCode: nim.sform_code,
            quaternion: [nim.quatern_b, nim.quatern_c, nim.quatern_d],
            quaternionOffset: [nim.qoffset_x, nim.qoffset_y, nim.qoffset_z],
            qfac: nim.qfac,
            sformRows: (0..<3).map { Array(sto[($0 * 4)..<($0 * 4 + 4)]) },
            xyzUnits: nim.xyz_units,
            timeUnits: nim.time_units,
            toffset: nim.toffset,
            sliceCode: nim.slice_code,
            sliceStart: nim.slice_start,
            sliceEnd: nim.slice_end,
            sliceDuration: nim.slice_duration,
            dimInfo: [nim.freq_dim, nim.phase_dim, nim.slice_dim],
            descrip: tupleString(nim.descrip),
            sclSlope: nim.scl_slope,
            sclInter: nim.scl_inter,
            calMin: nim.cal_min,
            calMax: nim.cal_max,
            intentCode: nim.intent_code,
            intentName: tupleString(nim.intent_name))
    }

    /// Writes the copied fields into a libnifti image made for an output on the same grid.
    func apply(to nim: inout nifti_image) {
        withUnsafeMutableBytes(of: &nim.pixdim) { raw in
            for (index, value) in pixdim.prefix(8).enumerated() { raw.storeBytes(of: value, toByteOffset: index * 8, as: Double.self) }
        }
        // Only the three spatial axes travel: an output is one 3D volume.
        withUnsafeMutableBytes(of: &nim.pixdim) { raw in
            for index in 4..<8 { raw.storeBytes(of: 0.0, toByteOffset: index * 8, as: Double.self) }
        }
        nim.dx = pixdim[1]
        nim.dy = pixdim[2]
        nim.dz = pixdim[3]
        nim.qform_code = qformCode
        nim.sform_code = sformCode
        nim.quatern_b = quaternion[0]
        nim.quatern_c = quaternion[1]
        nim.quatern_d = quaternion[2]
        nim.qoffset_x = quaternionOffset[0]
        nim.qoffset_y = quaternionOffset[1]
        nim.qoffset_z = quaternionOffset[2]
        nim.qfac = qfac
        nim.qto_xyz = nifti_quatern_to_dmat44(
            quaternion[0], quaternion[1], quaternion[2], quaternionOffset[0], quaternionOffset[1],
            quaternionOffset[2], pixdim[1], pixdim[2], pixdim[3], qfac)
        withUnsafeMutableBytes(of: &nim.sto_xyz.m) { raw in
            for row in 0..<3 {
                for column in 0..<4 {
                    raw.storeBytes(of: sformRows[row][column], toByteOffset: (row * 4 + column) * 8, as: Double.self)
                }
            }
            for column in 0..<4 {
                raw.storeBytes(of: column == 3 ? 1.0 : 0.0, toByteOffset: (12 + column) * 8, as: Double.self)
            }
        }
        nim.xyz_units = xyzUnits
        nim.time_units = timeUnits
        nim.toffset = toffset
        nim.slice_code = sliceCode
        nim.slice_start = sliceStart
        nim.slice_end = sliceEnd
        nim.slice_duration = sliceDuration
        nim.freq_dim = dimInfo[0]
        nim.phase_dim = dimInfo[1]
        nim.slice_dim = dimInfo[2]
        withUnsafeMutableBytes(of: &nim.descrip) { raw in
            _ = raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (index, byte) in descrip.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        // Outputs are not intensities of the source: no scaling, no display range, no intent.
        nim.scl_slope = 1
        nim.scl_inter = 0
        nim.cal_min = 0
        nim.cal_max = 0
        nim.intent_code = 0
        nim.intent_p1 = 0
        nim.intent_p2 = 0
        nim.intent_p3 = 0
        _ = withUnsafeMutableBytes(of: &nim.intent_name) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
    }
}
