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
    /// A `torch.save` file in the format before PyTorch 1.6 (not a zip archive).
    case legacyTorchFormat(path: String)
    /// A TensorFlow model (a frozen or TensorRT graph, a checkpoint), such as NVIDIA's Clara Train 3
    /// release "clara_train_covid19_ct_lung_seg", not weights in MONAI's layout.
    case tensorFlowModel(path: String, kind: String)
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
        case .legacyTorchFormat(let path):
            "\(path): a torch.save file in the legacy format of PyTorch before 1.6, which lungseg does not read; re-save it "
                + "with PyTorch >= 1.6 (torch.save(torch.load(path), new_path)) or convert it to safetensors"
        case .tensorFlowModel(let path, let kind):
            "\(path): a TensorFlow \(kind), as in NVIDIA's Clara Train 3 release clara_train_covid19_ct_lung_seg; lungseg "
                + "reads MONAI/PyTorch weights: NGC's clara_pt_covid19_ct_lung_segmentation model.pt, a torch.save or TorchScript "
                + "file, or safetensors"
        }
    }
}
