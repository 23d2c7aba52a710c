/// One value per grid axis: i, j, k in NIfTI's order (i fastest in memory, k the slices).
///
/// The model and the pipeline use the same axes under the same names. MONAI calls them H, W, D
/// (a tensor `[N][C][H][W][D]` in PyTorch is stored here `[N][C][k][j][i]`, i fastest), the
/// pipeline's volumes x, y, z: all three are i, j, k here, so no axis is renamed on the way.
/// A value always has exactly three components; one made from an array or decoded from JSON is
/// checked (`init(validating:)`).
public struct Vector3<Scalar> {
    public var i: Scalar
    public var j: Scalar
    public var k: Scalar

    @inlinable
    public init(_ i: Scalar, _ j: Scalar, _ k: Scalar) {
        self.i = i
        self.j = j
        self.k = k
    }

    /// The same value on every axis.
    @inlinable
    public init(repeating value: Scalar) {
        self.init(value, value, value)
    }

    /// Three values from an array (a header, a JSON file, a command line): anything but three
    /// elements is `GeometryError.axisCount`.
    public init(validating values: [Scalar]) throws(GeometryError) {
        guard values.count == 3 else { throw GeometryError.axisCount(values.count) }
        self.init(values[0], values[1], values[2])
    }

    /// The axes by number: 0 = i, 1 = j, 2 = k.
    public static var axes: Range<Int> { 0..<3 }

    /// The value along `axis` (0 = i, 1 = j, 2 = k).
    @inlinable
    public subscript(axis: Int) -> Scalar {
        get {
            switch axis {
            case 0: i
            case 1: j
            case 2: k
            default: preconditionFailure("axis \(axis) of a 3-vector")
            }
        }
        set {
            switch axis {
            case 0: i = newValue
            case 1: j = newValue
            case 2: k = newValue
            default: preconditionFailure("axis \(axis) of a 3-vector")
            }
        }
    }

    /// `transform` applied to each axis.
    @inlinable
    public func map<T>(_ transform: (Scalar) throws -> T) rethrows -> Vector3<T> {
        Vector3<T>(try transform(i), try transform(j), try transform(k))
    }

    /// `transform` applied axis by axis to this vector and `other`.
    @inlinable
    public func zip<Other, T>(_ other: Vector3<Other>, _ transform: (Scalar, Other) throws -> T) rethrows -> Vector3<T> {
        Vector3<T>(try transform(i, other.i), try transform(j, other.j), try transform(k, other.k))
    }

    /// A vector whose value along each axis is `value(axis)`.
    @inlinable
    public static func byAxis(_ value: (Int) throws -> Scalar) rethrows -> Vector3 {
        Vector3(try value(0), try value(1), try value(2))
    }

    /// Whether `predicate` holds on every axis.
    @inlinable
    public func allSatisfy(_ predicate: (Scalar) throws -> Bool) rethrows -> Bool {
        try predicate(i) && predicate(j) && predicate(k)
    }

    /// The values as an array (i, j, k), for JSON reports and C APIs.
    public var array: [Scalar] { [i, j, k] }
}

extension Vector3: Equatable where Scalar: Equatable {}
extension Vector3: Hashable where Scalar: Hashable {}
extension Vector3: Sendable where Scalar: Sendable {}

extension Vector3: Codable where Scalar: Codable {
    /// A JSON array of exactly three numbers.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let values = try container.decode([Scalar].self)
        do {
            try self.init(validating: values)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(array)
    }
}

extension Vector3: CustomStringConvertible {
    /// `i x j x k`, e.g. `224x224x32`.
    public var description: String { "\(i)x\(j)x\(k)" }
}

extension Vector3 where Scalar: Numeric {
    /// 0 on every axis (no padding).
    public static var zero: Vector3 { Vector3(repeating: 0) }
    /// 1 on every axis (a pointwise kernel, a unit stride).
    public static var one: Vector3 { Vector3(repeating: 1) }

    /// `i * j * k`: the voxels of a grid of this size.
    @inlinable
    public var product: Scalar { i * j * k }
}

extension Vector3 where Scalar == Int {
    /// Position of voxel `index` in a grid of this size stored i fastest, then j, then k.
    @inlinable
    public func offset(of index: Vector3<Int>) -> Int { index.i + i * (index.j + j * index.k) }

    /// The size of this grid sampled every `factors` voxels (the last sample may be short).
    @inlinable
    public func dividedRoundingUp(by factors: Vector3<Int>) -> Vector3<Int> { zip(factors) { ($0 + $1 - 1) / $1 } }

    /// Whether `index` lies on a grid of this size.
    @inlinable
    public func contains(_ index: Vector3<Int>) -> Bool {
        index.i >= 0 && index.j >= 0 && index.k >= 0 && index.i < i && index.j < j && index.k < k
    }
}

/// Sizes of a grid (voxels per axis), sizes and steps of a window, or a voxel's index.
public typealias Size3 = Vector3<Int>
/// A voxel's index on a grid.
public typealias Index3 = Vector3<Int>
/// Voxel spacing per axis, in millimetres.
public typealias Spacing3 = Vector3<Double>

/// A 3-vector made from values that are not one.
public enum GeometryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An array of `count` values where there must be one per axis.
    case axisCount(Int)

    public var description: String {
        switch self {
        case .axisCount(let count): "expected 3 values, one per axis (i, j, k), got \(count)"
        }
    }
}
