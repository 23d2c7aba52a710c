/// Why a weights file could not be loaded.
public enum WeightsError: Error, Equatable, Sendable {
    case fileNotFound(path: String)
    /// Neither safetensors nor a PyTorch zip archive.
    case unknownFormat(path: String)
    /// The file's structure is broken; the text says where.
    case malformed(path: String, reason: String)
    /// A data type lungseg does not read (for example I8 or complex).
    case unsupportedDataType(tensor: String, dtype: String)
    /// A pickle names a global outside the allow-list; nothing from it was run.
    case forbiddenGlobal(path: String, name: String)
    /// The network needs this tensor and the file lacks it.
    case missingTensor(name: String)
    /// The file holds a tensor the network does not have.
    case unexpectedTensor(name: String)
    /// A tensor has the wrong shape.
    case shapeMismatch(name: String, expected: [Int], actual: [Int])
    /// A tensor holds NaN or infinite values: a network that would segment nothing.
    case nonFiniteValues(name: String, count: Int)
    /// Model metadata that cannot be used.
    case invalidMetadata(reason: String)
}

extension WeightsError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .fileNotFound(let path): "\(path): no such weights file"
        case .unknownFormat(let path): "\(path): neither a safetensors file nor a PyTorch (torch.save) archive"
        case .malformed(let path, let reason): "\(path): malformed weights file (\(reason))"
        case .unsupportedDataType(let tensor, let dtype): "tensor \(tensor): unsupported data type \(dtype)"
        case .forbiddenGlobal(let path, let name):
            "\(path): the pickle names \(name), which a state dict never needs; refused, nothing was executed"
        case .missingTensor(let name): "the weights lack tensor \(name)"
        case .unexpectedTensor(let name): "the weights hold tensor \(name), which AH-Net (Clara config) does not have"
        case .shapeMismatch(let name, let expected, let actual): "tensor \(name) has shape \(actual), expected \(expected)"
        case .nonFiniteValues(let name, let count): "tensor \(name) holds \(count) NaN or infinite values: the weights are unusable"
        case .invalidMetadata(let reason): "invalid model metadata: \(reason)"
        }
    }
}
