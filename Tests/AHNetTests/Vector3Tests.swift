import AHNet
import Foundation
import Testing

@Suite("Vector3: one value per grid axis")
struct Vector3Tests {
    @Test func arraysOfOtherLengthsAreRefused() throws {
        #expect(try Size3(validating: [224, 224, 32]) == Size3(224, 224, 32))
        #expect(throws: GeometryError.axisCount(2)) { try Size3(validating: [224, 224]) }
        #expect(throws: GeometryError.axisCount(4)) { try Spacing3(validating: [1, 1, 1, 1]) }
    }

    @Test func jsonIsAnArrayOfThreeAndNothingElseDecodes() throws {
        let encoded = try JSONEncoder().encode(Spacing3(0.8, 0.8, 5))
        #expect(String(decoding: encoded, as: UTF8.self) == "[0.8,0.8,5]")
        #expect(try JSONDecoder().decode(Spacing3.self, from: encoded) == Spacing3(0.8, 0.8, 5))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Size3.self, from: Data("[1,2]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Size3.self, from: Data("[1,2,3,4]".utf8)) }
    }

    @Test func axesKeepTheirPlaceThroughMapZipAndSubscript() {
        var size = Size3(9, 7, 5)
        #expect(size.product == 315)
        #expect(size.map { $0 * 2 } == Size3(18, 14, 10))
        #expect(size.zip(Size3(1, 2, 3), -) == Size3(8, 5, 2))
        #expect(Size3.byAxis { $0 } == Size3(0, 1, 2))
        #expect((size[0], size[1], size[2]) == (9, 7, 5))
        size[2] = 6
        #expect(size == Size3(9, 7, 6))
        #expect(size.description == "9x7x6")
        #expect(Size3(224, 224, 32).dividedRoundingUp(by: Size3(2, 3, 1)) == Size3(112, 75, 32))
    }

    @Test func offsetsAreNIfTIOrder() {
        let grid = Size3(4, 3, 2)
        #expect(grid.offset(of: Index3(0, 0, 0)) == 0)
        #expect(grid.offset(of: Index3(1, 0, 0)) == 1)
        #expect(grid.offset(of: Index3(0, 1, 0)) == 4)
        #expect(grid.offset(of: Index3(3, 2, 1)) == grid.product - 1)
        #expect(grid.contains(Index3(3, 2, 1)) && !grid.contains(Index3(4, 0, 0)) && !grid.contains(Index3(0, -1, 0)))
    }
}
