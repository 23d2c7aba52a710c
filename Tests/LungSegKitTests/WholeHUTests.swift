import AHNet
import Testing
@testable import LungSegKit

/// The anatomical stages read the crop as whole HU in Int16; the model must still read the CT exactly.
@Suite("The cropped CT in whole HU")
struct WholeHUTests {
    @Test func roundsClampsAndTakesNaNAsZero() {
        #expect(WholeHU.from(-1024) == -1024)
        #expect(WholeHU.from(-500.4) == -500)
        #expect(WholeHU.from(-500.6) == -501)
        #expect(WholeHU.from(2.5) == 2)  // halves to even
        #expect(WholeHU.from(3.5) == 4)
        #expect(WholeHU.from(-0.6) == -1)
        #expect(WholeHU.from(40_000) == 32_767)
        #expect(WholeHU.from(-40_000) == -32_768)
        #expect(WholeHU.from(.infinity) == 32_767)
        #expect(WholeHU.from(.nan) == 0)
    }

    @Test func theSummarySaysWhetherInt16HoldsEveryValue() throws {
        var volume = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        let summary = volume.valueSummary
        #expect(summary.wholeInt16)
        #expect(summary.range == (volume.voxels.min() ?? 0)...(volume.voxels.max() ?? 0))
        volume.voxels[1_000] += 0.25
        #expect(!volume.valueSummary.wholeInt16)
        volume.voxels[1_000] = 40_000
        #expect(!volume.valueSummary.wholeInt16)
        #expect(volume.valueSummary.range.upperBound == 40_000)
        // Negative values, and NaN (which a caller's volume may hold) left out of the range.
        volume.voxels[1_000] = -3_024.5
        volume.voxels[2_000] = .nan
        let withNaN = volume.valueSummary
        #expect(!withNaN.wholeInt16)
        #expect(withNaN.range == -3_024.5...(volume.voxels.filter { !$0.isNaN }.max() ?? 0))
    }

    /// Whole-number or not, the model's input is the float crop resampled (what it was before the
    /// crop became Int16), and the anatomy's crop is that crop rounded.
    @Test(arguments: [false, true])
    func theModelReadsTheCTExactly(fractional: Bool) throws {
        var volume = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        if fractional {
            for index in stride(from: 0, to: volume.count, by: 3) { volume.voxels[index] += 0.37 }
        }
        let prepared = try LungSegmenter(parameters: .clara).prepare(volume)
        let mapping = prepared.mapping
        let floatCrop = mapping.reorientation.gather(volume.voxels, box: mapping.crop)
        let expected = ResampleStage.run(floatCrop, dims: mapping.crop.dims, spacing: mapping.orientedAffine.columnLengths,
                                         parameters: .clara)
        #expect(prepared.model == expected.values)
        #expect(prepared.croppedHU == floatCrop.map(WholeHU.from))
        #expect(prepared.croppedHU.map(Float.init) == floatCrop || fractional)
    }
}
