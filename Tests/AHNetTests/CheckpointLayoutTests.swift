import Foundation
import Testing
@testable import AHNet

/// The layouts people save weights in (tools/fixtures/make_layout_fixtures.py): each must read as
/// the plain state dict of the same small module, or fail with an error that names the format.
@Suite("Checkpoint layouts")
struct CheckpointLayoutTests {
    static let plain: StateDict = (try? Safetensors.read(fixture("layout_plain.safetensors")).tensors) ?? [:]

    @Test(arguments: [
        ("layout_model_key.pt", "PyTorch archive (torch.save), weights under \"model\""),
        ("layout_state_dict_key.pt", "PyTorch archive (torch.save), weights under \"state_dict\", \"module.\" prefix removed"),
        ("layout_torchscript.ts", "TorchScript archive (weights only)"),
    ])
    func readsAsThePlainStateDict(file: String, format: String) throws {
        #expect(Self.plain.count == 13)
        let contents = try WeightsFile.read(fixture(file))
        #expect(contents.format == format)
        #expect(contents.stateDict == Self.plain)
    }

    @Test func theLegacyFormatIsNamed() {
        #expect(throws: WeightsError.legacyTorchFormat(path: fixture("layout_legacy.pt"))) { try WeightsFile.read(fixture("layout_legacy.pt")) }
    }

    /// Reading a TorchScript archive's modules does not widen what a pickle may call.
    @Test func aTorchScriptArchiveStillCannotCallAnything() {
        #expect(throws: WeightsError.forbiddenGlobal(path: fixture("evil_torchscript.ts"), name: "posix.system")) {
            try WeightsFile.read(fixture("evil_torchscript.ts"))
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/lungseg-pwned"))
    }

    /// NVIDIA's Clara Train 3 release is TensorFlow: named as such, not "not a weights file".
    @Test(arguments: [("model.fzn.pb", "frozen graph (GraphDef)"), ("model.trt.pb", "TensorRT graph"),
                      ("model.ckpt.index", "checkpoint"), ("model.ckpt.data-00000-of-00001", "checkpoint")])
    func tensorFlowFilesAreNamed(name: String, kind: String) throws {
        let folder = NSTemporaryDirectory() + "lungseg-tf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/" + name
        try Data([0x0A, 0x0C, 0x0A, 0x05, 0x69, 0x6D, 0x61, 0x67, 0x65]).write(to: URL(fileURLWithPath: path))
        #expect(throws: WeightsError.tensorFlowModel(path: path, kind: kind)) { try WeightsFile.read(path) }
        #expect(WeightsError.tensorFlowModel(path: path, kind: kind).description.contains("clara_pt_covid19_ct_lung_segmentation"))
    }

    @Test func onlyAPrefixOnEveryKeyIsRemoved() {
        let tensor = HostTensor(shape: [1], values: [1])
        #expect(WeightsFile.withoutDataParallelPrefix(["module.a": tensor, "module.b.c": tensor]).0 == ["a": tensor, "b.c": tensor])
        #expect(WeightsFile.withoutDataParallelPrefix(["module.a": tensor, "b": tensor]).0 == ["module.a": tensor, "b": tensor])
    }
}
