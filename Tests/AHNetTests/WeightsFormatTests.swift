import Foundation
import Testing
@testable import AHNet

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

@Suite("PyTorch archives (model.pt) without Python")
struct TorchArchiveTests {
    @Test func viewsOffsetsStridesSharedStoragesAndDtypes() throws {
        let tensors = try TorchArchive.read(fixture("views.pt"))
        #expect(tensors["contiguous"] == HostTensor(shape: [3, 4], values: (0..<12).map(Float.init)))
        #expect(tensors["offset_view"] == HostTensor(shape: [2, 3], values: (5..<11).map(Float.init)))
        #expect(tensors["transposed"] == HostTensor(shape: [3, 2], values: [0, 3, 1, 4, 2, 5]))
        #expect(tensors["shared_first"] == HostTensor(shape: [4], values: [0, 2, 4, 6]))
        #expect(tensors["shared_second"] == HostTensor(shape: [3, 2], values: [8, 10, 12, 14, 16, 18]))
        #expect(tensors["half"] == HostTensor(shape: [8], values: (0..<8).map { Float($0) * 0.5 }))
        #expect(tensors["bfloat"] == HostTensor(shape: [4], values: [-1.5, -0.5, 0.5, 1.5]))
        #expect(tensors["counter"] == HostTensor(shape: [], values: [7]))
        #expect(tensors["double"] == HostTensor(shape: [2], values: [0.25, -3.5]))
        #expect(tensors.count == 9)
    }

    /// A pickle naming os.system or eval (pickle protocol 2 spells builtins "__builtin__") is refused before anything could run.
    @Test(arguments: [("evil_os_system.pt", "posix.system"), ("evil_eval.pt", "__builtin__.eval")])
    func maliciousPicklesAreRefused(file: String, global: String) throws {
        let marker = "/tmp/lungseg-pwned"
        try? FileManager.default.removeItem(atPath: marker)
        #expect(throws: WeightsError.forbiddenGlobal(path: fixture(file), name: global)) {
            _ = try TorchArchive.read(fixture(file))
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func notAnArchive() throws {
        let path = NSTemporaryDirectory() + "lungseg-not-weights-\(UUID().uuidString).pt"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: WeightsError.unknownFormat(path: path)) { _ = try WeightsFile.read(path) }
    }
}

@Suite("safetensors")
struct SafetensorsTests {
    static let expected: [Float] = [0, 1, -2.5, 0.15625, 1024, -0.0078125, 3, -256]

    @Test(arguments: ["values_f32.safetensors", "values_f16.safetensors", "values_bf16.safetensors"])
    func everyDtypeLoadsToTheSameFloats(file: String) throws {
        let (tensors, metadata) = try Safetensors.read(fixture(file))
        #expect(tensors["values"] == HostTensor(shape: [2, 4], values: Self.expected))
        #expect(metadata["made_by"] == "make_torch_fixtures.py")
    }

    @Test func halfPrecisionSpecialValues() {
        #expect(Safetensors.halfToFloat(0x3C00) == 1)
        #expect(Safetensors.halfToFloat(0xC000) == -2)
        #expect(Safetensors.halfToFloat(0x7BFF) == 65504)
        #expect(Safetensors.halfToFloat(0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
        #expect(Safetensors.halfToFloat(0x7C00) == .infinity)
        #expect(Safetensors.halfToFloat(0x7E00).isNaN)
        #expect(Safetensors.halfToFloat(0x8000).sign == .minus)
    }

    @Test func truncatedFileIsMalformed() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: fixture("values_f32.safetensors")))
        let path = NSTemporaryDirectory() + "lungseg-cut-\(UUID().uuidString).safetensors"
        try whole.prefix(whole.count - 5).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try Safetensors.read(path)
        } throws: { error in
            guard case .malformed(let failedPath, _)? = error as? WeightsError else { return false }
            return failedPath == path
        }
    }
}

@Suite("Clara-config architecture and strict loading")
struct ArchitectureTests {
    /// The parameter list equals MONAI 1.6.1's state dict (`ahnet_state_dict_clara_pt.txt`).
    @Test func parameterShapesEqualMONAIStateDict() throws {
        let reference = try String(contentsOfFile: fixture("ahnet_state_dict_clara_pt.txt"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: "\t") }
            .filter { !$0[0].hasSuffix("num_batches_tracked") }
            .map { line -> String in "\(line[0])\t\(line[1])" }
        let ours = AHNetArchitecture.clara.parameterShapes.map { entry -> String in
            let shape = entry.shape.count == 1 ? "(\(entry.shape[0]),)" : "(" + entry.shape.map(String.init).joined(separator: ", ") + ")"
            return "\(entry.name)\t\(shape)"
        }
        #expect(ours == reference)
        #expect(AHNetArchitecture.clara.batchNormNames.count == 119)
    }

    /// The layer table reads as the paper draws it: strides only where MONAI has them, the
    /// anisotropic kernels, which BatchNorms fold, the decoder's channels.
    @Test func layerTableMatchesTheNetwork() {
        let table = AHNetLayers(.clara)
        #expect(table.stem.kernel == Size3(7, 7, 3) && table.stem.stride == Size3(2, 2, 1) && !table.stem.foldsNorm)
        #expect(table.encoder.map(\.count) == [3, 4, 6, 3])
        #expect(table.encoder.map { $0.map(\.stride) } == [[1, 1, 1], [2, 1, 1, 1], [2, 1, 1, 1, 1, 1], [2, 1, 1]])
        // The projection's BatchNorm folds only where no max-pool follows the convolution.
        #expect(table.encoder.map { $0[0].downsample?.foldsNorm } == [true, false, false, false])
        #expect(table.transitions.map { "\($0.conv.name) \($0.conv.inChannels)->\($0.conv.outChannels)" }
                == ["up0.conv 2048->1024", "up1.conv 1084->512", "up2.conv 572->256", "trans1.conv 316->64", "up3.conv 124->64"])
        #expect(table.dense.map { $0[0].norm1.channels } == [1024, 512, 256, 64, 64])
        #expect(table.dense[0][0].conv3.kernel == Size3(1, 1, 3) && table.dense[0][0].conv2.kernel == Size3(3, 3, 1))
        #expect(table.final.conv.inChannels == 124 && table.final.conv.outChannels == 2 && table.final.conv.padding == Size3(1, 1, 0))
    }

    @Test func parameterCountMatchesMONAI() {
        #expect(AHNetArchitecture.clara.parameterCount == 27_086_072)
    }

    @Test func strictLoading() {
        var stateDict = SeededWeights.stateDict()
        #expect(throws: Never.self) { _ = try AHNetWeights(stateDict: stateDict) }
        stateDict["bn0.num_batches_tracked"] = HostTensor(shape: [], values: [3])
        #expect(throws: Never.self) { _ = try AHNetWeights(stateDict: stateDict) }

        var missing = stateDict
        missing["dense2.denselayer3.conv4.weight"] = nil
        #expect(throws: WeightsError.missingTensor(name: "dense2.denselayer3.conv4.weight")) { _ = try AHNetWeights(stateDict: missing) }

        var extra = stateDict
        extra["psp.project_modules.0.weight"] = HostTensor(shape: [1], values: [0])
        #expect(throws: WeightsError.unexpectedTensor(name: "psp.project_modules.0.weight")) { _ = try AHNetWeights(stateDict: extra) }

        var misshapen = stateDict
        misshapen["final.conv.weight"] = HostTensor(shape: [2, 124, 3, 1, 3], values: [Float](repeating: 0, count: 2 * 124 * 9))
        #expect(throws: WeightsError.shapeMismatch(name: "final.conv.weight", expected: [2, 124, 3, 3, 1], actual: [2, 124, 3, 1, 3])) {
            _ = try AHNetWeights(stateDict: misshapen)
        }

        // NaN or infinite weights make a network that segments nothing: refused at load.
        for bad in [Float.nan, .infinity, -.infinity] {
            var poisoned = stateDict
            var tensor = stateDict["final.conv.weight"] ?? HostTensor(shape: [], values: [])
            #expect(tensor.values.count == 2 * 124 * 9)
            tensor.values[tensor.values.count - 1] = bad
            poisoned["final.conv.weight"] = tensor
            #expect(throws: WeightsError.nonFiniteValues(name: "final.conv.weight", count: 1)) { _ = try AHNetWeights(stateDict: poisoned) }
        }
    }

    /// The Swift generator reproduces tools/fixtures/seeded.py (values printed by that script).
    @Test func seededGeneratorMatchesPython() {
        let values = SeededWeights.uniform(seed: 101, count: 3)
        #expect(values == [0.8164411783218384, 0.01719135046005249, 0.2686523199081421].map { Float($0) })
    }
}

@Suite("Model metadata")
struct MetadataTests {
    @Test func defaultsFollowNVIDIAsModelCard() {
        let pipeline = ModelMetadata.nvidiaDefaults.pipeline
        #expect(pipeline.spacing == Spacing3(0.8, 0.8, 5))
        #expect(pipeline.clipMin == -1500 && pipeline.clipMax == 500)
        #expect(pipeline.windowSize == Size3(224, 224, 32))
        #expect(pipeline.foregroundLabel == 1)
    }

    @Test func sidecarIsReadAndChecked() throws {
        let folder = NSTemporaryDirectory() + "lungseg-meta-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let weights = folder + "/model.pt"
        try FileManager.default.copyItem(atPath: fixture("views.pt"), toPath: weights)
        #expect(try WeightsFile.read(weights).metadataSource.hasPrefix("defaults"))

        var metadata = ModelMetadata.nvidiaDefaults
        metadata.pipeline.clipMin = -1000
        metadata.provenance["name"] = "test"
        try JSONEncoder().encode(metadata).write(to: URL(fileURLWithPath: weights + ".json"))
        let contents = try WeightsFile.read(weights)
        #expect(contents.metadata == metadata)
        #expect(contents.metadataSource == weights + ".json")

        metadata.pipeline.windowSize = Size3(224, 224, 30)
        try JSONEncoder().encode(metadata).write(to: URL(fileURLWithPath: weights + ".json"))
        #expect(throws: WeightsError.invalidMetadata(reason: "window size must be three positive multiples of 32")) {
            _ = try WeightsFile.read(weights)
        }

        // Two spacings where three are needed: refused when the sidecar is read, not at first use.
        var json = try #require(String(data: JSONEncoder().encode(ModelMetadata.nvidiaDefaults), encoding: .utf8))
        json = json.replacingOccurrences(of: "[0.8,0.8,5]", with: "[0.8,0.8]")
        try #require(json.contains("[0.8,0.8]"))
        try Data(json.utf8).write(to: URL(fileURLWithPath: weights + ".json"))
        #expect {
            _ = try WeightsFile.read(weights)
        } throws: { error in
            guard case WeightsError.invalidMetadata(let reason) = error else { return false }
            return reason.contains("expected 3 values, one per axis (i, j, k), got 2")
        }
    }
}

@Suite("Zip directories checked before ZIPFoundation")
struct ZipDirectoryTests {
    /// Regression (TorchArchiveFuzz): a 3.5 KB archive whose ZIP64 end record points past the file
    /// stopped the process inside ZIPFoundation ("Not enough bits"); now a typed error, exit 4.
    @Test func aDirectoryPointingOutsideTheFileIsMalformed() {
        #expect(throws: WeightsError.malformed(path: fixture("crafted_zip64_offset.pt"), reason: "zip directory: a ZIP64 end record outside the file")) {
            _ = try TorchArchive.read(fixture("crafted_zip64_offset.pt"))
        }
        // torch.save writes ZIP64 records even for small files: those pass.
        #expect(throws: Never.self) { try ZipDirectoryCheck.validate(fixture("views.pt")) }
    }
}

@Suite("Tensor views from a model.pt")
struct TorchViewTests {
    /// Regression: sizes that multiply past Int.max crashed (Illegal instruction); sizes, strides
    /// and offsets from the file are checked arithmetic, each failure a typed error.
    @Test(arguments: [
        ([1 << 40, 1 << 40], [1, 1], 0), ([3, 1 << 62], [1 << 62, 1], 0), ([-1, 2], [2, 1], 0), ([2, 2], [-1, 1], 0),
        ([2, 2], [2, 1], -1), ([2, 2], [2, 1], Int.max - 1),
    ])
    func craftedSizesAreMalformedNotACrash(size: [Int], stride: [Int], offset: Int) {
        let storage = [UInt8](repeating: 0, count: 64)
        #expect(throws: WeightsError.self) {
            _ = try TorchArchive.gather(storage, dtype: "F32", width: 4, offset: offset, size: size, stride: stride, name: "w", path: "crafted.pt")
        }
        // The same storage holds a real 2x2 view.
        #expect(throws: Never.self) {
            _ = try TorchArchive.gather(storage, dtype: "F32", width: 4, offset: 1, size: [2, 2], stride: [1, 2], name: "w", path: "crafted.pt")
        }
    }
}

@Suite("Restricted unpickler")
struct UnpicklerTests {
    /// Regression: the pickle fuzzer's first finding (a FRAME opcode followed by junk; a
    /// use-after-free in the sanitized build, see Unpickler.read). Must end in a typed error.
    @Test func frameThenJunkIsATypedError() {
        let input: [UInt8] = [149, 40, 88, 10, 0, 0, 0, 99, 111, 110, 116, 105, 103, 1, 134, 113, 18, 137, 104, 10, 41, 82, 113, 19,
                              116, 113, 20, 82, 0, 0, 113, 76, 116, 113, 77, 82, 113, 78, 117, 46, 8, 75]
        #expect(throws: PickleError.unsupportedOpcode(0x6E, offset: 9)) { _ = try Unpickler.load(input) }
    }

    @Test func storageTypesAreNeverCalled() {
        // GLOBAL torch.FloatStorage, EMPTY_TUPLE, REDUCE, STOP
        let input = Array("ctorch\nFloatStorage\n)R.".utf8)
        #expect(throws: PickleError.forbiddenGlobal("torch.FloatStorage()")) { _ = try Unpickler.load(input) }
    }

    @Test func truncatedPickle() {
        #expect(throws: PickleError.truncated(offset: 3)) { _ = try Unpickler.load([0x80, 0x02, 0x58, 0x05]) }
    }

    /// Regression: a 439-byte pickle whose dict key nested a doubling tuple hung at 100 % CPU
    /// (hashing it costs 2^depth). Keys must be names or numbers; nesting is capped.
    @Test func nestedKeysAndDeepNestingAreRefusedAtOnce() {
        // EMPTY_DICT, then a key tuple nested 60 deep through the memo, a value, SETITEM, STOP.
        var keyed: [UInt8] = [0x80, 0x02, 0x7D, 0x4B, 0x01, 0x85, 0x71, 0x00]
        for _ in 0..<60 { keyed += [0x68, 0x00, 0x68, 0x00, 0x86, 0x71, 0x00, 0x30] }
        keyed += [0x68, 0x00, 0x4B, 0x02, 0x73, 0x2E]
        #expect(throws: PickleError.malformed("a dict key that is not a name or a number")) { _ = try Unpickler.load(keyed) }
        // A chain of 100 one-element tuples: deeper than any state dict.
        let chain: [UInt8] = [0x80, 0x02, 0x4B, 0x01] + [UInt8](repeating: 0x85, count: 100) + [0x2E]
        #expect(throws: PickleError.malformed("containers nested deeper than 64")) { _ = try Unpickler.load(chain) }
        // A tuple doubling through the memo as a plain value: stopped by the nesting cap too.
        var doubling: [UInt8] = [0x80, 0x02, 0x4B, 0x01, 0x85, 0x71, 0x00, 0x30]
        for _ in 0..<100 { doubling += [0x68, 0x00, 0x68, 0x00, 0x86, 0x71, 0x00, 0x30] }
        doubling += [0x68, 0x00, 0x2E]
        #expect(throws: PickleError.malformed("containers nested deeper than 64")) { _ = try Unpickler.load(doubling) }
    }
}
