/// A tensor in host memory as float32, in C order, with the shape its file gave it.
public struct HostTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    public var count: Int { values.count }
}

/// Named tensors as a PyTorch state dict holds them (MONAI names, MONAI layout).
public typealias StateDict = [String: HostTensor]
