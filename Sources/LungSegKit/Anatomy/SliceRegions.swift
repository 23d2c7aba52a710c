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
    /// (1-based); returns the regions in order of discovery.
    static func label(_ set: (Int) -> Bool, width: Int, height: Int, labels: inout [Int32]) -> [Region] {
        let count = width * height
        for index in 0..<count { labels[index] = 0 }
        var regions: [Region] = []
        var stack: [Int] = []
        for start in 0..<count where labels[start] == 0 && set(start) {
            let number = Int32(regions.count + 1)
            var region = Region()
            labels[start] = number
            stack.append(start)
            while let current = stack.popLast() {
                let i = current % width
                let j = current / width
                region.area += 1
                region.sumI += Double(i)
                region.sumJ += Double(j)
                region.lowerI = min(region.lowerI, i)
                region.upperI = max(region.upperI, i)
                region.lowerJ = min(region.lowerJ, j)
                region.upperJ = max(region.upperJ, j)
                func visit(_ next: Int) {
                    if labels[next] == 0 && set(next) {
                        labels[next] = number
                        stack.append(next)
                    }
                }
                if i > 0 { visit(current - 1) }
                if i < width - 1 { visit(current + 1) }
                if j > 0 { visit(current - width) }
                if j < height - 1 { visit(current + width) }
            }
            regions.append(region)
        }
        return regions
    }

    /// Marks in `reached` (1) every passable pixel 4-connected to the plane's border through
    /// passable pixels; other pixels get 0.
    static func floodFromBorder(passable: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                                reached: UnsafeMutableBufferPointer<UInt8>, stack: inout [Int]) {
        let count = width * height
        for index in 0..<count { reached[index] = 0 }
        func seed(_ index: Int) {
            if passable[index] != 0 && reached[index] == 0 {
                reached[index] = 1
                stack.append(index)
            }
        }
        for i in 0..<width {
            seed(i)
            seed(i + width * (height - 1))
        }
        for j in 0..<height {
            seed(width * j)
            seed(width - 1 + width * j)
        }
        while let current = stack.popLast() {
            let i = current % width
            if i > 0 { seed(current - 1) }
            if i < width - 1 { seed(current + 1) }
            if current >= width { seed(current - width) }
            if current < count - width { seed(current + width) }
        }
    }
}
