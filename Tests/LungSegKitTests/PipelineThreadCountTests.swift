import AHNet
import Foundation
import Testing
@testable import LungSegKit

@Suite("Parallel loops: the same result at any thread count")
struct PipelineThreadCountTests {
    @Test(arguments: [1, 2, 7])
    func everyIndexIsVisitedOnce(threads: Int) {
        for (range, minimumChunk) in [(0..<0, 1), (0..<1, 1), (5..<1000, 1), (3..<20, 8), (0..<7, 1)] {
            var visits = [Int](repeating: 0, count: range.upperBound)
            visits.withUnsafeMutableBufferPointer { visits in
                ParallelFor.$threadCount.withValue(threads) {
                    ParallelFor.run(range, minimumChunk: minimumChunk) { part in
                        for index in part { visits[index] += 1 }
                    }
                }
            }
            #expect(visits.enumerated().allSatisfy { $0.element == (range.contains($0.offset) ? 1 : 0) }, "\(range) at \(threads) threads")
        }
    }

    /// Gather (reorient, crop and subsample in one pass) and scatter equal the reorientation of
    /// the whole grid followed by the crop, for a grid whose axes are permuted and flipped.
    @Test(arguments: [1, 2, 7])
    func gatherAndScatterEqualReorientThenCrop(threads: Int) throws {
        let dims = Size3(7, 5, 6)
        // Voxel axes: i toward posterior, j toward superior, k toward the patient's left: "PSL".
        let affine = Affine(rows: [[0, 0, -2, 10], [-1, 0, 0, 4], [0, 3, 0, -7], [0, 0, 0, 1]])
        let reorientation = try Reorientation(affine: affine, dims: dims, to: "RAS")
        #expect(!reorientation.isIdentity)
        let values = (0..<dims.product).map(Float.init)
        let oriented = reorientation.apply(values)
        let target = reorientation.targetDims
        let box = GridBox(lower: Index3(1, 0, 2), upper: Index3(target.i, target.j - 1, target.k - 1))
        ParallelFor.$threadCount.withValue(threads) {
            #expect(reorientation.gather(values, box: box) == box.extract(oriented, from: target))
            let factors = Size3(2, 3, 1)
            var expected: [Float] = []
            for k in stride(from: 0, to: target.k, by: factors.k) {
                for j in stride(from: 0, to: target.j, by: factors.j) {
                    for i in stride(from: 0, to: target.i, by: factors.i) { expected.append(oriented[target.offset(of: Index3(i, j, k))]) }
                }
            }
            #expect(reorientation.gather(values, box: GridBox(whole: target), every: factors) == expected)
            var scattered = [Float](repeating: -1, count: dims.product)
            reorientation.scatter(box.extract(oriented, from: target), box: box, into: &scattered)
            #expect(scattered == reorientation.invert(box.embed(box.extract(oriented, from: target), in: target, background: -1)))
            let corner = Index3(2, 1, 3)
            #expect(values[reorientation.sourceOffset(of: corner)] == oriented[target.offset(of: corner)])
            #expect(reorientation.targetIndex(ofSourceOffset: reorientation.sourceOffset(of: corner)) == corner)
            #expect(reorientation.invert(oriented) == values)
        }
    }

    /// The whole pipeline (the threshold predictor, the anatomical post-processing, the QC
    /// picture) on a real CT stored LPS: labels, airways, probabilities and picture identical at
    /// 1, 2 and 7 threads.
    @Test func pipelineIsIdenticalAtOneTwoAndSevenThreads() throws {
        let volume = try NIfTIReader.read(RepositoryData.path("cip_ct64.nii.gz"))
        let segmenter = LungSegmenter(parameters: .clara)
        let runs = try [1, 2, 7].map { threads in
            try ParallelFor.$threadCount.withValue(threads) {
                let result = try segmenter.segment(volume, predictor: ThresholdPredictor(parameters: .clara))
                let picture = try QCPicture(volume: volume, labels: result.labels, airways: result.airwayVoxels)
                return (result, picture, volume.intensityRange)
            }
        }
        #expect(runs[0].0.labels.contains { $0 != 0 })
        #expect(runs[0].0.probabilityOnInputGrid() != nil)
        for run in runs.dropFirst() {
            #expect(run.0.labels == runs[0].0.labels)
            #expect(run.0.airwayVoxels == runs[0].0.airwayVoxels)
            #expect(run.0.probabilityOnInputGrid() == runs[0].0.probabilityOnInputGrid())
            #expect(run.1.pixels == runs[0].1.pixels)
            #expect(run.2 == runs[0].2)
        }
    }
}
