import AHNet
import Testing
@testable import LungSegKit

/// The real CT of the repository against what nibabel 5.4.2 reports for it
/// (numbers computed once with `nibabel.load`, see tools/fixtures/nibabel_facts.py).
@Suite("Real CT: cip_ct64")
struct RealCTTests {
    let ct: Volume
    let mask: Volume

    init() throws {
        ct = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        mask = try NIfTIReader.read(RepositoryData.path("cip_ct64_wholelung_mask.nii.gz"))
    }

    @Test func gridMatchesNibabel() {
        #expect(ct.dims == Size3(64, 64, 79))
        #expect(abs(ct.spacing[0] - 4.171872) < 1e-6)
        #expect(abs(ct.spacing[1] - 4.171872) < 1e-6)
        #expect(abs(ct.spacing[2] - 3.987342) < 1e-6)
        #expect(ct.orientationCode == "LPS")
        #expect(ct.header.qformCode == 1 && ct.header.sformCode == 1)
        #expect(NIfTIDatatype(rawValue: ct.header.datatypeCode) == .int16)
        let nibabelAffine: [[Double]] = [
            [-4.171872138977051, 0.0, 0.0, 128.41380310058594],
            [0.0, -4.171872138977051, 0.0, 264.413818359375],
            [0.0, 0.0, 3.98734188079834, -360.2563171386719],
            [0.0, 0.0, 0.0, 1.0],
        ]
        for row in 0..<4 {
            for column in 0..<4 {
                #expect(abs(ct.affine.rows[row][column] - nibabelAffine[row][column]) < 1e-5)
            }
        }
    }

    @Test func voxelsMatchNibabel() {
        #expect(ct.intensityRange == -1007...1095)
        #expect(ct.voxels.reduce(0.0) { $0 + Double($1) } == -150_669_474)
        #expect(ct.voxels[ct.index(10, 20, 30)] == -947)
        #expect(ct.voxels[ct.index(0, 0, 0)] == -998)
        #expect(ct.voxels[ct.index(63, 63, 78)] == -887)
        #expect(ct.voxels[ct.index(32, 40, 50)] == 223)
    }

    @Test func maskSharesTheGridAndMatchesNibabel() {
        #expect(mask.dims == ct.dims)
        #expect(mask.affine == ct.affine)
        #expect(mask.orientationCode == "LPS")
        #expect(NIfTIDatatype(rawValue: mask.header.datatypeCode) == .uint16)
        #expect(mask.voxels.reduce(0, +) == 65_624)
        #expect(mask.voxels[mask.index(10, 20, 30)] == 1)
    }

    @Test func worldCoordinatesFollowTheAffine() {
        let corner = ct.affine.world(63, 63, 78)
        #expect(abs(corner[0] - (128.4138031 - 63 * 4.171872139)) < 1e-4)
        #expect(abs(corner[2] - (-360.2563171 + 78 * 3.987341881)) < 1e-4)
    }
}
