/// 2D tools on one axial slice (a plane of `width * height` pixels, i fastest): connected regions
/// with 4-connectivity and flood fills from the slice border.
enum SliceRegions {
    /// One 4-connected region of a plane.
    struct Region {
        var area = 0
        var sumI = 0.0
        var sumJ = 0.0
        var lowerI = Int.max, upperI = Int.min, lowerJ = Int.max, upperJ = Int.min
        var centroid: (i: Double, j: Double) { (sumI / Double(max(area, 1)), sumJ / Double(max(area, 1))) }
        /// Share of its bounding box the region fills (about 0.785 for a disc).
        var fill: Double { Double(area) / Double((upperI - lowerI + 1) * (upperJ - lowerJ + 1)) }
        var aspect: Double {
            let (a, b) = (Double(upperI - lowerI + 1), Double(upperJ - lowerJ + 1))
            return max(a, b) / min(a, b)
        }
    }

    /// Labels the 4-connected regions of the set pixels: `labels` gets 0 or the region's number
    /// (1-based, in scan order of each region's first pixel); returns the regions in that order.
    /// A scanline fill: each seed labels its whole span of the row at once.
    static func label(_ set: (Int) -> Bool, width: Int, height: Int, labels: inout [Int32]) -> [Region] {
        let count = width * height
        for index in 0..<count { labels[index] = 0 }
        var regions: [Region] = []
        var stack: [Int] = []
        labels.withUnsafeMutableBufferPointer { labels in
            func open(_ index: Int) -> Bool { labels[index] == 0 && set(index) }
            for start in 0..<count where open(start) {
                let number = Int32(regions.count + 1)
                var region = Region()
                stack.append(start)
                while let seed = stack.popLast() {
                    guard open(seed) else { continue }
                    let j = seed / width
                    let rowStart = j * width
                    var (left, right) = (seed, seed)
                    while left > rowStart && open(left - 1) { left -= 1 }
                    while right + 1 < rowStart + width && open(right + 1) { right += 1 }
                    for index in left...right { labels[index] = number }
                    // Integer sums: exact in Double, whatever the order of the spans.
                    let (lowI, highI, length) = (left - rowStart, right - rowStart, right - left + 1)
                    region.area += length
                    region.sumI += Double((lowI + highI) * length / 2)
                    region.sumJ += Double(j * length)
                    region.lowerI = min(region.lowerI, lowI)
                    region.upperI = max(region.upperI, highI)
                    region.lowerJ = min(region.lowerJ, j)
                    region.upperJ = max(region.upperJ, j)
                    if j > 0 { pushRuns(from: left - width, to: right - width, open: open, onto: &stack) }
                    if j < height - 1 { pushRuns(from: left + width, to: right + width, open: open, onto: &stack) }
                }
                regions.append(region)
            }
        }
        return regions
    }

    /// The share of `region`'s bounding box inside its outline: its pixels (label `number` in
    /// `labels`, a plane `width` wide) and the holes they enclose. A ring of air around a tube
    /// fills its box as the disc it outlines does.
    static func outlineFill(of region: Region, number: Int32, labels: [Int32], width: Int) -> Double {
        let (boxWidth, boxHeight) = (region.upperI - region.lowerI + 1, region.upperJ - region.lowerJ + 1)
        var outside = [UInt8](repeating: 0, count: boxWidth * boxHeight)
        for b in 0..<boxHeight {
            for a in 0..<boxWidth where labels[region.lowerI + a + width * (region.lowerJ + b)] != number {
                outside[a + boxWidth * b] = 1
            }
        }
        var reached = [UInt8](repeating: 0, count: outside.count)
        var stack: [Int] = []
        outside.withUnsafeBufferPointer { outside in
            reached.withUnsafeMutableBufferPointer { reached in
                floodFromBorder(passable: outside, width: boxWidth, height: boxHeight, reached: reached, stack: &stack)
            }
        }
        let inside = reached.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        return Double(inside) / Double(outside.count)
    }

    /// Marks in `reached` (1) every passable pixel 4-connected to the plane's border through
    /// passable pixels; other pixels get 0.
    static func floodFromBorder(passable: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                                reached: UnsafeMutableBufferPointer<UInt8>, stack: inout [Int]) {
        for index in 0..<(width * height) { reached[index] = 0 }
        for i in 0..<width {
            stack.append(i)
            stack.append(i + width * (height - 1))
        }
        for j in 0..<height {
            stack.append(width * j)
            stack.append(width - 1 + width * j)
        }
        fill(passable: passable, width: width, height: height, reached: reached, from: &stack)
    }

    /// Marks in `reached` (1) every passable pixel 4-connected through passable pixels to a seed
    /// on `stack` (which it empties); pixels already marked stay marked and are not crossed again.
    /// A scanline fill: each seed fills its whole span of the row at once and leaves one seed per
    /// span of the rows above and below.
    static func fill(passable: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                     reached: UnsafeMutableBufferPointer<UInt8>, from stack: inout [Int]) {
        let open = { (index: Int) in passable[index] != 0 && reached[index] == 0 }
        while let seed = stack.popLast() {
            guard open(seed) else { continue }
            let j = seed / width
            let (rowStart, rowEnd) = (j * width, j * width + width)
            var left = seed
            while left > rowStart && open(left - 1) { left -= 1 }
            var right = seed
            while right + 1 < rowEnd && open(right + 1) { right += 1 }
            for index in left...right { reached[index] = 1 }
            // One seed for each run of open pixels next to the span, in the rows above and below.
            if j > 0 { pushRuns(from: left - width, to: right - width, open: open, onto: &stack) }
            if j < height - 1 { pushRuns(from: left + width, to: right + width, open: open, onto: &stack) }
        }
    }

    /// Pushes onto `stack` one pixel of each run of `open` pixels in `first...last` (the row next
    /// to a span a scanline fill has just filled).
    @inline(__always)
    private static func pushRuns(from first: Int, to last: Int, open: (Int) -> Bool, onto stack: inout [Int]) {
        var index = first
        while index <= last {
            if open(index) {
                stack.append(index)
                while index <= last && open(index) { index += 1 }
            } else {
                index += 1
            }
        }
    }
}
