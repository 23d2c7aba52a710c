import AHNet

/// Wide air that a slice's flood from the border reaches only through a narrow passage: a lung
/// behind a channel of air through the chest wall (a drain's tract, a wound, subcutaneous air
/// that reaches the skin), the trachea behind a tracheostomy tube's lumen. Such air is enclosed by
/// the patient everywhere but at the passage, so it is the body's; room air, the table and the
/// padding outside the reconstruction circle meet the patient over a broad front.
///
/// A passage is narrow when the passable pixels, eroded by a box of `radiusMM`, break there; what
/// lies behind it is wide when some of it survives that erosion. Air that is narrow everywhere (the
/// gap between an arm and the chest) stays outside.
struct NarrowPassages {
    /// Passages narrower than about twice this (10 mm: a drain's lumen, a tracheostomy tube) are
    /// narrow; half the width of a trachea and more of a lung survive the erosion.
    static let radiusMM = 5.0

    let width: Int
    let height: Int
    /// The erosion's half-widths in pixels along i and j (at least one).
    let radius: Size3
    private var wide: [UInt8]
    private var behind: [UInt8]
    /// Per column, the first and last row of tissue (not passable); `Int32.max` / -1 when none.
    private var columnFirst: [Int32]
    private var columnLast: [Int32]

    init(width: Int, height: Int, spacing: (i: Double, j: Double)) {
        self.width = width
        self.height = height
        radius = Size3(max(1, Int((Self.radiusMM / spacing.i).rounded())), max(1, Int((Self.radiusMM / spacing.j).rounded())), 0)
        wide = [UInt8](repeating: 0, count: width * height)
        behind = wide
        columnFirst = [Int32](repeating: .max, count: width)
        columnLast = [Int32](repeating: -1, count: width)
    }

    /// Clears from `reached` (a slice's flood from its border through `passable`) the wide
    /// regions it reached only through narrow passages, with the narrow end of the passage that
    /// leads into them. Most slices end at a cheap first test: a wide pocket is air that tissue
    /// flanks along its row and along its column; room air around the patient is not.
    mutating func enclose(passable: UnsafeBufferPointer<UInt8>, reached: UnsafeMutableBufferPointer<UInt8>, stack: inout [Int]) {
        guard hasFlankedAir(passable: passable, reached: UnsafeBufferPointer(reached)) else { return }
        let (width, height) = (width, height)
        let plane = Size3(width, height, 1)
        let count = width * height
        // Eroded: no tissue within the box (beyond the plane counts as open).
        let eroded = BoxDilation.apply(passable.map { $0 == 0 ? 1 : 0 }, dims: plane, radius: radius).map { 1 - $0 }
        var seeds: [Int] = []
        wide.withUnsafeMutableBufferPointer { wide in
            eroded.withUnsafeBufferPointer { eroded in
                SliceRegions.floodFromBorder(passable: eroded, width: width, height: height, reached: wide, stack: &stack)
                for index in 0..<count where eroded[index] != 0 && reached[index] != 0 && wide[index] == 0 { seeds.append(index) }
            }
        }
        guard !seeds.isEmpty else { return }
        // What the broad flood, grown back by the box, covers stays outside; the rest of the
        // reached air that is connected to a wide pocket is the body's.
        let nearWide = BoxDilation.apply(wide, dims: plane, radius: radius)
        let channel = (0..<count).map { reached[$0] != 0 && nearWide[$0] == 0 ? UInt8(1) : 0 }
        stack = seeds.filter { channel[$0] != 0 }
        behind.withUnsafeMutableBufferPointer { behind in
            for index in 0..<count { behind[index] = 0 }
            channel.withUnsafeBufferPointer { channel in
                SliceRegions.fill(passable: channel, width: width, height: height, reached: behind, from: &stack)
            }
            for index in 0..<count where behind[index] != 0 { reached[index] = 0 }
        }
    }

    /// Whether a reached pixel lies between tissue to its left and right and between tissue
    /// above and below it. A pocket behind narrow passages does (rays leave it only through
    /// them); room air, the table's surroundings and a slit between an arm and the chest that
    /// opens at its ends usually do not.
    private mutating func hasFlankedAir(passable: UnsafeBufferPointer<UInt8>, reached: UnsafeBufferPointer<UInt8>) -> Bool {
        let width = width
        for i in 0..<width {
            columnFirst[i] = .max
            columnLast[i] = -1
        }
        for j in 0..<height {
            let row = j * width
            for i in 0..<width where passable[row + i] == 0 {
                columnFirst[i] = min(columnFirst[i], Int32(j))
                columnLast[i] = Int32(j)
            }
        }
        for j in 0..<height {
            let row = j * width
            guard let first = (0..<width).first(where: { passable[row + $0] == 0 }),
                  let last = (0..<width).last(where: { passable[row + $0] == 0 }), last - first > 1 else { continue }
            for i in (first + 1)..<last where reached[row + i] != 0 && Int(columnFirst[i]) < j && j < Int(columnLast[i]) {
                return true
            }
        }
        return false
    }
}
