import AHNet

/// Nearest-neighbour subsampling of a grid (i fastest).
enum Subsampling {
    /// Every f-th voxel along each axis.
    static func everyNth(_ values: [Float], dims: Size3, factors: Size3) -> [Float] {
        if factors == .one { return values }
        var result: [Float] = []
        result.reserveCapacity(dims.dividedRoundingUp(by: factors).product)
        for k in stride(from: 0, to: dims.k, by: factors.k) {
            for j in stride(from: 0, to: dims.j, by: factors.j) {
                let row = dims.offset(of: Index3(0, j, k))
                for i in stride(from: 0, to: dims.i, by: factors.i) { result.append(values[row + i]) }
            }
        }
        return result
    }
}
