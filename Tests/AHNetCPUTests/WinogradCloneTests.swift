import Testing
import CConvolution

/// The Winograd F(4x4, 3x3) transforms run as the clone the CPU picks (AVX2 where there is one);
/// the baseline x86-64 build of the same source must give the same bits, or results would depend
/// on the machine. (On a CPU without AVX2 both calls run the baseline.)
@Suite("Winograd transforms: the CPU's clone equals the baseline")
struct WinogradCloneTests {
    // 70 along H: 18 tiles (groups of 8, 8, 2) and a line split partly in vectors, partly one by
    // one; 13 along W: the last tile row reaches past the plane; tile rows 1 ..< 7 of 8.
    let sizeH = 70, sizeW = 13, slices = 2
    let firstRow = 1, rowCount = 6
    var tiles: Int { rowCount * ((sizeH + 3) / 4) }
    var pitch: Int { tiles + 8 }

    func values(_ count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in random.nextFloat() * 4 - 2 }
    }

    @Test(arguments: [false, true])
    func inputTransform(activated: Bool) {
        var plane = values(sizeH * sizeW * slices, seed: 7)
        var scale: Float = 1.7
        let scratch = cwinograd4_line_scratch(sizeH)
        func run(_ transform: (UnsafePointer<Float>, Int, Int, Int, Int, UnsafePointer<Float>?, Float, UnsafeMutablePointer<Float>, Int, UnsafeMutablePointer<Float>, Int) -> Void) -> [UInt32] {
            var transformed = [Float](repeating: 0, count: 36 * pitch)
            var lines = [Float](repeating: .nan, count: scratch)
            withUnsafePointer(to: &scale) { scale in
                transform(&plane, sizeH, sizeW, firstRow, rowCount, activated ? scale : nil, -0.3, &transformed, pitch, &lines, sizeH * sizeW)
            }
            return (0..<36).flatMap { xi in transformed[(xi * pitch)..<(xi * pitch + tiles)].map(\.bitPattern) }
        }
        let picked = run { cwinograd4_input($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) }
        let baseline = run { cwinograd4_input_baseline($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) }
        #expect(picked.count == baseline.count)
        #expect(zip(picked, baseline).filter { $0 != $1 }.isEmpty, "values that differ between the clones")
        // Not all zero: the comparison compares something.
        #expect(picked.filter { $0 != 0 }.count > tiles * 30)
    }

    @Test func outputTransform() {
        var products = values(36 * pitch, seed: 11)
        func run(_ transform: (UnsafePointer<Float>, Int, Int, Int, UnsafeMutablePointer<Float>, Int, Int) -> Void) -> [UInt32] {
            var plane = [Float](repeating: 42, count: sizeH * sizeW * slices)
            transform(&products, pitch, firstRow, rowCount, &plane, sizeH, sizeW)
            return plane.map(\.bitPattern)
        }
        let picked = run { cwinograd4_output($0, $1, $2, $3, $4, $5, $6) }
        let baseline = run { cwinograd4_output_baseline($0, $1, $2, $3, $4, $5, $6) }
        #expect(picked.count == baseline.count)
        #expect(zip(picked, baseline).filter { $0 != $1 }.isEmpty, "values that differ between the clones")
        // Tile rows 1 ..< 7 cover W lines 4 ..< 13 of slice 0 and 0 ..< 12 of slice 1; the rest stays.
        let written = picked.filter { $0 != Float(42).bitPattern }.count
        #expect(written == sizeH * (9 + 12))
    }
}
