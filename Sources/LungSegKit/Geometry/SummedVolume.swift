import AHNet

/// Counts set voxels in any box in constant time (a 3D summed-volume table).
struct SummedVolume {
    let dims: Size3
    let table: [Int32]

    init(_ mask: [UInt8], dims: Size3) {
        self.dims = dims
        let (nx, ny, nz) = (dims.i + 1, dims.j + 1, dims.k + 1)
        var table = [Int32](repeating: 0, count: nx * ny * nz)
        for k in 1..<nz {
            for j in 1..<ny {
                for i in 1..<nx {
                    let value = Int32(mask[(i - 1) + dims.i * ((j - 1) + dims.j * (k - 1))])
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
    func count(lower: Index3, upper: Index3) -> Int {
        guard (0..<3).allSatisfy({ lower[$0] < upper[$0] }) else { return 0 }
        let (nx, ny) = (dims.i + 1, dims.j + 1)
        func at(_ i: Int, _ j: Int, _ k: Int) -> Int { Int(table[i + nx * (j + ny * k)]) }
        let (a, b) = (lower, upper)
        return at(b[0], b[1], b[2]) - at(a[0], b[1], b[2]) - at(b[0], a[1], b[2]) - at(b[0], b[1], a[2])
            + at(a[0], a[1], b[2]) + at(a[0], b[1], a[2]) + at(b[0], a[1], a[2]) - at(a[0], a[1], a[2])
    }
}
