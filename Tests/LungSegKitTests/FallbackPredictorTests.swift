import AHNet
import Testing
@testable import LungSegKit

/// `FallbackPredictor`: a backend failure moves the failed windows and every later one to the
/// fallback, once; other errors pass through; without a fallback the failure is the caller's.
@Suite("Fallback predictor")
struct FallbackPredictorTests {
    struct DeviceLost: BackendFailure, Equatable {}
    struct BadWindow: Error, Equatable {}

    /// Returns each window's first value + `offset` for every voxel; fails from call `failFrom` on.
    final class Fake: WindowPredictor {
        let offset: Float
        let failFrom: Int
        let error: any Error
        var calls = 0
        init(offset: Float, failFrom: Int = .max, error: any Error = DeviceLost()) {
            self.offset = offset
            self.failFrom = failFrom
            self.error = error
        }
        func predict(_ windows: [Float], batch: Int, size: Size3) throws -> [Float] {
            calls += 1
            if calls >= failFrom { throw error }
            return windows.map { $0 + offset }
        }
    }

    let size = Size3(2, 1, 1)

    @Test func aBackendFailureMovesTheWindowsToTheFallbackOnce() throws {
        let primary = Fake(offset: 100, failFrom: 2)
        let fallback = Fake(offset: 200)
        var madeFallback = 0
        var warnings: [String] = []
        let predictor = try FallbackPredictor(
            primary: { (primary, "GPU") }, fallback: { madeFallback += 1; return (fallback, "CPU") }, warn: { warnings.append($0) })
        #expect(try predictor.predict([1, 2], batch: 1, size: size) == [101, 102])
        #expect(predictor.deviceDescription == "GPU")
        // The failed call's windows run again on the fallback; later calls go there directly.
        #expect(try predictor.predict([3, 4], batch: 1, size: size) == [203, 204])
        #expect(try predictor.predict([5, 6], batch: 1, size: size) == [205, 206])
        #expect(predictor.deviceDescription == "CPU")
        #expect(primary.calls == 2 && fallback.calls == 2 && madeFallback == 1 && warnings.count == 1)
    }

    @Test func otherErrorsAndFailuresWithoutAFallbackReachTheCaller() throws {
        let bad = try FallbackPredictor(primary: { (Fake(offset: 0, failFrom: 1, error: BadWindow()), "GPU") },
                                        fallback: { (Fake(offset: 0), "CPU") }, warn: { _ in })
        #expect(throws: BadWindow()) { _ = try bad.predict([1, 2], batch: 1, size: size) }
        #expect(bad.deviceDescription == "GPU")
        let alone = try FallbackPredictor(primary: { (Fake(offset: 0, failFrom: 1), "GPU") }, fallback: nil, warn: { _ in })
        #expect(throws: DeviceLost()) { _ = try alone.predict([1, 2], batch: 1, size: size) }
    }

    @Test func aBackendThatCannotStartMovesToTheFallbackAtOnce() throws {
        var warnings: [String] = []
        let predictor = try FallbackPredictor(
            primary: { throw DeviceLost() }, fallback: { (Fake(offset: 200), "CPU") }, warn: { warnings.append($0) })
        #expect(predictor.deviceDescription == "CPU" && warnings.count == 1)
        #expect(try predictor.predict([1, 2], batch: 1, size: size) == [201, 202])
    }
}
