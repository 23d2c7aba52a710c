/// Copies between a grid and a box of it, and nearest-neighbour subsampling (x fastest).
enum GridCopy {
    static func crop<T>(_ values: [T], dims: [Int], lower: [Int], upper: [Int]) -> [T] {
        if lower == [0, 0, 0] && upper == dims { return values }
        var result: [T] = []
        result.reserveCapacity((0..<3).reduce(1) { $0 * (upper[$1] - lower[$1]) })
        for k in lower[2]..<upper[2] {
            for j in lower[1]..<upper[1] {
                let row = dims[0] * (j + dims[1] * k)
                result.append(contentsOf: values[(row + lower[0])..<(row + upper[0])])
            }
        }
        return result
    }

    /// Every f-th voxel along each axis (nearest-neighbour downsampling).
    static func subsample(_ values: [Float], dims: [Int], factors: [Int]) -> [Float] {
        if factors == [1, 1, 1] { return values }
        var result: [Float] = []
        result.reserveCapacity((0..<3).reduce(1) { $0 * ((dims[$1] + factors[$1] - 1) / factors[$1]) })
        for k in stride(from: 0, to: dims[2], by: factors[2]) {
            for j in stride(from: 0, to: dims[1], by: factors[1]) {
                let row = dims[0] * (j + dims[1] * k)
                for i in stride(from: 0, to: dims[0], by: factors[0]) { result.append(values[row + i]) }
            }
        }
        return result
    }

    static func paste<T>(_ values: [T], dims small: [Int], into target: inout [T], dims: [Int], at lower: [Int]) {
        var index = 0
        for k in 0..<small[2] {
            for j in 0..<small[1] {
                let row = dims[0] * (j + lower[1] + dims[1] * (k + lower[2])) + lower[0]
                for i in 0..<small[0] {
                    target[row + i] = values[index]
                    index += 1
                }
            }
        }
    }
}
