import Testing
@testable import LungSegKit

/// `NarrowPassages` on one 60 x 40 plane of 1 mm pixels (radius 5 px): room air in the 8 columns
/// at the left border, tissue to its right but for the air drawn in each case.
@Suite("Narrow passages of a slice's flood")
struct NarrowPassagesTests {
    static let (width, height) = (60, 40)

    /// The flood from the border through `air`, after `NarrowPassages.enclose`.
    static func reached(_ air: (Int, Int) -> Bool) -> [UInt8] {
        var passable = [UInt8](repeating: 0, count: width * height)
        for j in 0..<height {
            for i in 0..<width where i < 8 || air(i, j) { passable[i + width * j] = 1 }
        }
        var reached = [UInt8](repeating: 0, count: passable.count)
        var stack: [Int] = []
        var passages = NarrowPassages(width: width, height: height, spacing: (1, 1))
        passable.withUnsafeBufferPointer { passable in
            reached.withUnsafeMutableBufferPointer { reached in
                SliceRegions.floodFromBorder(passable: passable, width: width, height: height, reached: reached, stack: &stack)
                passages.enclose(passable: passable, reached: reached, stack: &stack)
            }
        }
        return reached
    }

    /// A pocket of 20 x 20 pixels at i 30..<50, j 10..<30.
    static func pocket(_ i: Int, _ j: Int) -> Bool { (30..<50).contains(i) && (10..<30).contains(j) }

    @Test func aWidePocketBehindANarrowChannelIsEnclosed() {
        // A channel 4 px high from the room air to the pocket: the pocket and the channel are
        // enclosed, the room air stays reached.
        let reached = Self.reached { i, j in Self.pocket(i, j) || (i < 30 && (18..<22).contains(j)) }
        #expect(reached[35 + Self.width * 20] == 0)
        #expect(reached[12 + Self.width * 20] == 0)
        #expect((0..<8).allSatisfy { reached[$0 + Self.width * 20] == 1 && reached[$0] == 1 })
    }

    @Test func aPocketOpenOverABroadFrontStaysOutside() {
        // The same pocket opening 14 px wide to the room air: room air too.
        let reached = Self.reached { i, j in Self.pocket(i, j) || (i < 30 && (13..<27).contains(j)) }
        #expect(reached[35 + Self.width * 20] == 1)
        #expect(reached[25 + Self.width * 20] == 1)
    }

    @Test func aSlitNarrowAlongItsLengthStaysOutside() {
        // The gap between an arm and the chest: narrow everywhere, nothing wide behind it.
        let reached = Self.reached { i, j in i < 55 && (18..<22).contains(j) }
        #expect((0..<55).allSatisfy { reached[$0 + Self.width * 20] == 1 })
    }
}
