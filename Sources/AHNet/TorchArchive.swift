import Foundation
import ZIPFoundation

/// Reads a `torch.save` file of a state dict (NVIDIA's `model.pt`) without Python: a zip archive
/// with `<name>/data.pkl` (a pickle, read by the restricted `Unpickler`) and one raw storage a
/// tensor source at `<name>/data/<key>`. Tensors may be views (offset and strides) and several
/// may share one storage; float32, float16, bfloat16, float64 and int64 storages are read.
public enum TorchArchive {
    /// Whether the bytes start like a zip archive.
    public static func looksLikeZip(_ prefix: Data) -> Bool {
        prefix.count >= 4 && prefix.prefix(4) == Data([0x50, 0x4B, 0x03, 0x04])
    }

    public static func read(_ path: String) throws(WeightsError) -> StateDict { try readLayout(path).stateDict }

    /// A state dict and how the archive held it.
    public struct Layout: Sendable {
        public var stateDict: StateDict
        /// e.g. "PyTorch archive (torch.save)", "... weights under \"model\"", "TorchScript archive (weights only)".
        public var description: String
    }

    /// Reads the weights of a `torch.save` archive (a state dict, or one inside a checkpoint's
    /// `{"model": ...}` or `{"state_dict": ...}`, as MONAI's loaders accept) or of a TorchScript
    /// archive (the parameters and buffers of its modules, by their state-dict names; its code is
    /// never read).
    public static func readLayout(_ path: String) throws(WeightsError) -> Layout {
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        try ZipDirectoryCheck.validate(path)
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw .unknownFormat(path: path)
        }
        guard let pickleEntry = archive.first(where: { $0.path.hasSuffix("data.pkl") && $0.type == .file }) else {
            throw .malformed(path: path, reason: "no data.pkl in the archive (a TorchScript or legacy file?)")
        }
        let prefix = String(pickleEntry.path.dropLast("data.pkl".count))
        let isTorchScript = archive[prefix + "constants.pkl"] != nil || archive.contains { $0.path.hasPrefix(prefix + "code/") }
        let littleEndian = (try? extract(archive, prefix + "byteorder", path: path)).map { String(decoding: $0, as: UTF8.self) } != "big"
        guard littleEndian else { throw .malformed(path: path, reason: "big-endian storages are not supported") }

        let root: PickleValue
        do {
            root = try Unpickler.load(try extract(archive, pickleEntry.path, path: path), readsTorchScriptModules: isTorchScript)
        } catch let error as PickleError {
            if case .forbiddenGlobal(let name) = error { throw .forbiddenGlobal(path: path, name: name) }
            throw .malformed(path: path, reason: "pickle: \(error)")
        } catch let error as WeightsError {
            throw error
        } catch {
            throw .malformed(path: path, reason: "\(error)")
        }
        let (entries, description) = try stateDictEntries(root, isTorchScript: isTorchScript, path: path)

        var storages: [String: [UInt8]] = [:]
        var result: StateDict = [:]
        for (name, value) in entries {
            guard case .tensor(let storageKey, let storageType, let offset, let size, let stride) = value else {
                throw .malformed(path: path, reason: "entry \(name) is not a tensor")
            }
            guard let dtype = dataType(ofStorage: storageType), let width = Safetensors.byteWidth(dtype) else {
                throw .unsupportedDataType(tensor: name, dtype: storageType)
            }
            if storages[storageKey] == nil {
                storages[storageKey] = try extract(archive, prefix + "data/" + storageKey, path: path)
            }
            let storage = storages[storageKey] ?? []
            result[name] = try gather(
                storage, dtype: dtype, width: width, offset: offset, size: size, stride: stride, name: name, path: path)
        }
        return Layout(stateDict: result, description: description)
    }

    /// The (name, tensor) pairs of the unpickled root: a state dict, a checkpoint wrapping one,
    /// or a TorchScript module tree.
    static func stateDictEntries(_ root: PickleValue, isTorchScript: Bool, path: String) throws(WeightsError)
        -> (entries: [(String, PickleValue)], description: String) {
        if case .module = root {
            var entries: [(String, PickleValue)] = []
            collectTensors(root, prefix: "", into: &entries)
            guard !entries.isEmpty else { throw .malformed(path: path, reason: "the TorchScript modules hold no tensors") }
            return (entries, "TorchScript archive (weights only)")
        }
        guard case .dict(var dictionary) = root else { throw .malformed(path: path, reason: "the pickle is not a state dict") }
        var description = "PyTorch archive (torch.save)"
        for wrapper in ["state_dict", "model"] {
            if case .dict(let inner) = dictionary[.string(wrapper)] {
                dictionary = inner
                description += ", weights under \"\(wrapper)\""
                break
            }
        }
        var entries: [(String, PickleValue)] = []
        for (key, value) in dictionary {
            guard case .string(let name) = key else { throw .malformed(path: path, reason: "a state-dict key is not a string") }
            entries.append((name, value))
        }
        return (entries, description)
    }

    /// Tensors of a TorchScript module and its submodules, named as `state_dict()` names them.
    private static func collectTensors(_ value: PickleValue, prefix: String, into entries: inout [(String, PickleValue)]) {
        guard case .module(_, let attributes) = value else { return }
        for (key, attribute) in attributes {
            guard case .string(let name) = key else { continue }
            switch attribute {
            case .tensor: entries.append((prefix + name, attribute))
            case .module: collectTensors(attribute, prefix: prefix + name + ".", into: &entries)
            default: continue
            }
        }
    }

    private static func extract(_ archive: Archive, _ entryPath: String, path: String) throws(WeightsError) -> [UInt8] {
        guard let entry = archive[entryPath] else { throw .malformed(path: path, reason: "missing archive entry \(entryPath)") }
        guard entry.uncompressedSize < 1 << 34 else { throw .malformed(path: path, reason: "entry \(entryPath) is too large") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in bytes.append(contentsOf: chunk) }
        } catch {
            throw .malformed(path: path, reason: "cannot extract \(entryPath): \(error)")
        }
        return bytes
    }

    /// The safetensors name of a storage's element type (the decoder is shared).
    static func dataType(ofStorage storageType: String) -> String? {
        switch storageType {
        case "torch.FloatStorage": "F32"
        case "torch.HalfStorage": "F16"
        case "torch.BFloat16Storage": "BF16"
        case "torch.DoubleStorage": "F64"
        case "torch.LongStorage": "I64"
        default: nil
        }
    }

    /// Copies a (possibly strided) view of a storage into a contiguous float32 tensor, checking
    /// that every element it touches lies inside the storage.
    static func gather(
        _ storage: [UInt8], dtype: String, width: Int, offset: Int, size: [Int], stride: [Int], name: String, path: String
    ) throws(WeightsError) -> HostTensor {
        guard size.count == stride.count else { throw .malformed(path: path, reason: "tensor \(name): size and stride differ in rank") }
        // Every size, stride and offset comes from the file: checked arithmetic only (a crafted
        // file whose sizes multiply past Int.max trapped here).
        guard size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }), offset >= 0 else {
            throw .malformed(path: path, reason: "tensor \(name) has a negative size, stride or offset")
        }
        let count = try Safetensors.elementCount(size, tensor: name, path: path)
        let elements = storage.count / width
        if count > 0 {
            var last = offset
            for (extent, step) in zip(size, stride) {
                let (reach, overflow) = (extent - 1).multipliedReportingOverflow(by: step)
                let (sum, overflowSum) = last.addingReportingOverflow(reach)
                guard !overflow, !overflowSum else { throw .malformed(path: path, reason: "tensor \(name) reaches past its storage") }
                last = sum
            }
            guard last < elements else {
                throw .malformed(path: path, reason: "tensor \(name) reaches past its storage")
            }
        }
        // The common case, a contiguous tensor, converts in one pass.
        var contiguous = true
        var expectedStride = 1
        for axis in stride.indices.reversed() where size[axis] != 1 {
            if stride[axis] != expectedStride { contiguous = false }
            expectedStride *= size[axis]
        }
        if contiguous {
            let values = storage.withUnsafeBytes { raw in
                Safetensors.decode(UnsafeRawBufferPointer(rebasing: raw[(offset * width)..<((offset + count) * width)]), dtype: dtype, count: count)
            }
            return HostTensor(shape: size, values: values)
        }
        var values = [Float](repeating: 0, count: count)
        storage.withUnsafeBytes { raw in
            var index = [Int](repeating: 0, count: size.count)
            for flat in 0..<count {
                var element = offset
                for axis in 0..<size.count { element += index[axis] * stride[axis] }
                let source = UnsafeRawBufferPointer(rebasing: raw[(element * width)..<((element + 1) * width)])
                values[flat] = Safetensors.decode(source, dtype: dtype, count: 1)[0]
                // Advance the multi-index in C order.
                var axis = size.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < size[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        return HostTensor(shape: size, values: values)
    }
}
