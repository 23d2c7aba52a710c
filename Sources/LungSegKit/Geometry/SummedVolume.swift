/// Counts set voxels in any box in constant time (a 3D summed-volume table).
struct SummedVolume {
    let dims: [Int]
    let table: [Int32]

    init(_ mask: [UInt8], dims: [Int]) {
        self.dims = dims
        let (nx, ny, nz) = (dims[0] + 1, dims[1] + 1, dims[2] + 1)
        var table = [Int32](repeating: 0, count: nx * ny * nz)
        for k in 1..<nz {
            for j in 1..<ny {
                for i in 1..<nx {
                    let value = Int32(mask[(i - 1) + dims[0] * ((j - 1) + dims[1] * (k - 1))])
                    table[i + nx * (j + ny * k)] = value
                        + table[(i - 1) + nx * (j + ny * k)] + table[i + nx * ((j - 1) + ny * k)] + table[i + nx * (j + ny * (k - 1))]
                        - table[(i - 1) + nx * ((j - 1) + ny * k)] - table[(i - 1) + nx * (j + ny * (k - 1))] - table[i + nx * ((j - 1) + ny * (k - 1))]
                        + table[(i - 1) + nx * ((j - 1) + ny * (k - 1))]
                }
            }
        }
        self.table = table
    }

    /// Set voxels in [lower, upper) per axis.
    func count(lower: [Int], upper: [Int]) -> Int {
        guard (0..<3).allSatisfy({ lower[$0] < upper[$0] }) else { return 0 }
        let (nx, ny) = (dims[0] + 1, dims[1] + 1)
        func at(_ i: Int, _ j: Int, _ k: Int) -> Int { Int(table[i + nx * (j + ny * k)]) }
        let (a, b) = (lower, upper)
        return at(b[0], b[1], b[2]) - at(a[0], b[1], b[2]) - at(b[0], a[1], b[2]) - at(b[0], b[1], a[2])
            + at(a[0], a[1], b[2]) + at(a[0], b[1], a[2]) + at(b[0], a[1], a[2]) - at(a[0], a[1], a[2])
    }
}
