import Foundation
@testable import LungSegKit
import AHNet
import Testing

/// The lungseg binary as a user runs it: exit codes, messages, fallbacks.
@Suite("Command line", .serialized, .timeLimit(.minutes(5)))
struct CommandLineTests {
    /// The `lungseg` executable SwiftPM built beside this test bundle.
    static let binary: URL = {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("lungseg") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self), error: String(decoding: errData, as: UTF8.self))
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A 1x1x32x32x32 float32 .npy of zeros and ones.
    static func smallWindow(in folder: String) throws -> String {
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 32, 32, 32), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        bytes += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        for index in 0..<(32 * 32 * 32) { withUnsafeBytes(of: Float(index % 7 == 0 ? 1 : 0)) { bytes += $0 } }
        let path = folder + "/window.npy"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func infoDescribesTheBundledCT() throws {
        let result = try Self.run(["info", Self.repository.appendingPathComponent("data/cip_ct64.nii.gz").path])
        #expect(result.status == 0)
        #expect(result.output.contains("dims:        64 x 64 x 79"))
        #expect(result.output.contains("orientation: LPS"))
    }

    /// The shipped weights are a complete Clara-config AH-Net with lungseg's metadata.
    @Test func infoDescribesTheBundledModel() throws {
        let result = try Self.run(["info", Self.repository.appendingPathComponent("Models/lungseg-ahnet-lung.safetensors").path])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("metadata:    from __metadata__"))
        #expect(result.output.contains("name: lungseg-ahnet-lung"))
        #expect(result.output.contains("held_out: cip_ct64"))
    }

    @Test func badInputExitsWithStatus2() throws {
        let result = try Self.run(["info", "/nonexistent/ct.nii.gz"])
        #expect(result.status == 2)
        #expect(result.error == "lungseg: error: /nonexistent/ct.nii.gz: no such file\n")
    }

    /// With an empty ICD vendor folder there is no OpenCL platform: `devices` says so, an explicit
    /// `--backend opencl` fails with status 3, and `auto` runs on the CPU.
    @Test func noOpenCLPlatform() throws {
        let folder = NSTemporaryDirectory() + "lungseg-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/vendors", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let environment = ["OCL_ICD_VENDORS": folder + "/vendors"]

        let devices = try Self.run(["devices"], environment: environment)
        #expect(devices.status == 0)
        #expect(devices.output.contains("OpenCL: no platform found."))
        #expect(devices.output.contains("auto picks cpu: no accelerated backend is available"))

        let window = try Self.smallWindow(in: folder)
        let explicit = try Self.run(["forward", "--weights", "seeded", "--input", window, "--output", folder + "/cl.npy", "--backend", "opencl"], environment: environment)
        #expect(explicit.status == 3)
        #expect(explicit.error.contains("no OpenCL platform found"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/cl.npy"))

        let automatic = try Self.run(["forward", "--weights", "seeded", "--input", window, "--output", folder + "/auto.npy"], environment: environment)
        #expect(automatic.status == 0, "\(automatic.error)")
        #expect(automatic.error.contains("on CPU (OpenBLAS"))
        // What auto wrote is the network's output: the same logits as the CPU backend asked for by name.
        let cpu = try Self.run(["forward", "--weights", "seeded", "--input", window, "--output", folder + "/cpu.npy", "--backend", "cpu"])
        #expect(cpu.status == 0, "\(cpu.error)")
        let (viaAuto, viaCPU) = (try NumPyArray.read(folder + "/auto.npy"), try NumPyArray.read(folder + "/cpu.npy"))
        #expect(viaAuto.shape == [1, 2, 32, 32, 32] && viaAuto.shape == viaCPU.shape)
        #expect(viaAuto.values == viaCPU.values)
        #expect(viaAuto.values.contains { $0 != 0 })
    }

    @Test func weightsThatAreNotAHNetExitWithStatus4() throws {
        let views = Self.repository.appendingPathComponent("Tests/AHNetTests/Fixtures/views.pt").path
        let folder = NSTemporaryDirectory()
        let result = try Self.run(["forward", "--weights", views, "--input", folder + "/none.npy", "--output", folder + "/none-out.npy"])
        #expect(result.status == 4)
        #expect(result.error.contains("the weights lack tensor conv1.weight"))
    }
}

/// A guard against a hang, not a timing assert: the end-to-end test runs the bundled model on a real
/// CT, 25 s optimised (the README's `swift test -c release`) and 771 s in an unoptimised `swift test`
/// (docs/BENCHMARKS.md, "Debug tests"), so an unoptimised build gets the longer limit.
#if DEBUG
private let segmentSuiteLimit = TimeLimitTrait.Duration.minutes(20)
#else
private let segmentSuiteLimit = TimeLimitTrait.Duration.minutes(5)
#endif

@Suite("lungseg segment", .serialized, .timeLimit(segmentSuiteLimit))
struct SegmentCommandTests {
    static let ct = CommandLineTests.repository.appendingPathComponent("data/cip_ct64.nii.gz").path

    /// End to end on the bundled real CT with the bundled model (no --weights): exit 0, mask on
    /// the input grid with the input header, report and picture written, and the lungs found:
    /// Dice against CIP's reference mask of this CT (held out from training; 0.967 measured, docs/model).
    @Test func endToEndWithTheBundledModel() throws {
        let folder = NSTemporaryDirectory() + "lungseg-segment-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try CommandLineTests.run([
            "segment", Self.ct, "-o", folder + "/mask.nii.gz", "--report", folder + "/report.json", "--qc", folder + "/qc.png",
            "--probabilities", folder + "/p.nii.gz", "--airways", folder + "/airways.nii.gz", "--split-lungs", "--backend", "cpu", "--quiet",
        ])
        #expect(result.status == 0, "\(result.error)")
        let contents = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        #expect(contents == ["mask.nii.gz", "report.json", "qc.png", "p.nii.gz", "airways.nii.gz"])
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/report.json"))) as? [String: Any]
        let model = report?["model"] as? [String: Any]
        #expect((model?["weights"] as? String)?.hasSuffix("Models/lungseg-ahnet-lung.safetensors") == true)
        #expect((model?["provenance"] as? [String: String])?["name"] == "lungseg-ahnet-lung")
        // The mask lies on exactly the input grid, header copied field by field.
        let input = try NIfTIReader.read(Self.ct)
        let mask = try NIfTIReader.read(folder + "/mask.nii.gz")
        var expected = input.header
        expected.datatypeCode = NIfTIDatatype.uint8.rawValue
        (expected.sclSlope, expected.sclInter, expected.calMin, expected.calMax) = (1, 0, 0, 0)
        #expect(mask.header == expected)
        #expect(mask.affine == input.affine)
        #expect(Set(mask.voxels) == [0, 1, 2])
        // Right (1) and left (2) lungs against CIP's whole-lung reference.
        let reference = try NIfTIReader.read(CommandLineTests.repository.appendingPathComponent("data/cip_ct64_wholelung_mask.nii.gz").path)
        var (both, ours, theirs) = (0, 0, 0)
        for (label, truth) in zip(mask.voxels, reference.voxels) {
            if label > 0 { ours += 1 }
            if truth > 0 { theirs += 1 }
            if label > 0 && truth > 0 { both += 1 }
        }
        let dice = 2 * Double(both) / Double(ours + theirs)
        // 0.9878 measured with the shipped model and the anatomical post-processing (docs/model/README.md).
        #expect(dice >= 0.98, "Dice \(dice) against CIP's mask")
        // Sides against CIP's regions (12-14 right, 9-11 left), and the trachea and main bronchi
        // (CIP 512) out of the lungs: 36 of its 510 voxels remain, all below the carina.
        let labelmap = try NIfTIReader.read(CommandLineTests.repository.appendingPathComponent("data/cip_ct64_cip_labelmap.nii.gz").path)
        let airways = try NIfTIReader.read(folder + "/airways.nii.gz")
        var (sideAgrees, sided, onAirway, airway, airwayFound) = (0, 0, 0, 0, 0)
        for index in mask.voxels.indices {
            let code = Int(labelmap.voxels[index])
            if (9...14).contains(code & 0xFF) {
                sided += 1
                if mask.voxels[index] == (code & 0xFF >= 12 ? 1 : 2) { sideAgrees += 1 }
            }
            if code == 512 {
                airway += 1
                if mask.voxels[index] != 0 { onAirway += 1 }
                if airways.voxels[index] != 0 { airwayFound += 1 }
            }
        }
        #expect(Double(sideAgrees) / Double(sided) > 0.98)
        #expect(onAirway <= 40 && airway == 510, "\(onAirway) mask voxels on CIP's 512")
        #expect(Double(airwayFound) / Double(airway) > 0.9)
        let lungs = report?["lungs"] as? [String: Any]
        #expect(lungs?["lungCount"] as? Int == 2)
        // cip_ct64's lungs touch at the front: split along the junction, and the report says so.
        #expect((report?["warnings"] as? [String])?.contains { $0.contains("separated along the junction") } == true)
        #expect(lungs?["labels"] as? [String: String] == ["1": "right lung", "2": "left lung"])
        #expect(((lungs?["airwaysML"] as? Double) ?? 0) > 30)
        let removed = (report?["removed"] as? [[String: Any]])?.compactMap { $0["reason"] as? String }
        #expect(removed?.contains("trachea and main bronchi") == true)
        // postprocess on the saved probability gives the same mask, voxel for voxel.
        let again = try CommandLineTests.run([
            "postprocess", Self.ct, "--probabilities", folder + "/p.nii.gz", "-o", folder + "/again.nii.gz", "--split-lungs",
        ])
        #expect(again.status == 0, "\(again.error)")
        #expect(try NIfTIReader.read(folder + "/again.nii.gz").voxels == mask.voxels)
        // The probability map is what the mask came from: thresholded at 0.5 without any
        // post-processing it is the raw mask, voxel for voxel.
        let raw = try CommandLineTests.run([
            "postprocess", Self.ct, "--probabilities", folder + "/p.nii.gz", "-o", folder + "/raw.nii.gz", "--no-postprocessing",
        ])
        #expect(raw.status == 0, "\(raw.error)")
        let probability = try NIfTIReader.read(folder + "/p.nii.gz")
        #expect(probability.voxels.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(try NIfTIReader.read(folder + "/raw.nii.gz").voxels == probability.voxels.map { $0 >= 0.5 ? 1 : 0 })
        // Every key of the documented schema (docs/REPORT.md) is in the report, and the volumes add up.
        #expect(Self.documentedReportKeys().count > 25)
        for key in Self.documentedReportKeys() {
            #expect(Self.value(at: key, in: report) != nil, "docs/REPORT.md documents \(key), which the report lacks")
        }
        let volumes = report?["lungs"] as? [String: Any]
        let (right, left, total) = (volumes?["rightML"] as? Double ?? -1, volumes?["leftML"] as? Double ?? -1, volumes?["totalML"] as? Double ?? -1)
        #expect(abs(right + left - total) <= 0.11 && right > 1000 && left > 1000)
        #expect((report?["timings"] as? [[String: Any]])?.compactMap { $0["stage"] as? String }
                == ["orient", "body crop", "resample", "inference", "resample back", "post-process", "measure"])
        #expect(report?["outputs"] as? [String: String] == ["mask": folder + "/mask.nii.gz", "report": folder + "/report.json", "qc": folder + "/qc.png",
                                                            "probabilities": folder + "/p.nii.gz", "airways": folder + "/airways.nii.gz"])
        // The QC picture is the mask and airways written: the same picture made from the files
        // read back is the same PNG, byte for byte.
        let redrawn = try QCPicture(volume: input, labels: mask.voxels.map { UInt8($0) },
                                    airways: airways.voxels.indices.filter { airways.voxels[$0] != 0 }, volumesML: [right, left, volumes?["airwaysML"] as? Double ?? 0])
        try redrawn.write(to: folder + "/redrawn.png")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/redrawn.png")) == Data(contentsOf: URL(fileURLWithPath: folder + "/qc.png")))
        #expect(redrawn.pixels.indices.filter { $0 % 3 == 0 }.contains { (redrawn.pixels[$0], redrawn.pixels[$0 + 1], redrawn.pixels[$0 + 2]) == (255, 60, 60) })
        // A probability map on another grid is refused before anything is written.
        let small = NIfTIHeader.synthesized(dims: Size3(4, 4, 4), affine: .scaling(Spacing3(1, 1, 1)), datatypeCode: NIfTIDatatype.float32.rawValue, description: "")
        try NIfTIWriter.writeMap([Float](repeating: 1, count: 64), like: small, to: folder + "/small.nii.gz")
        let other = try CommandLineTests.run(["postprocess", Self.ct, "--probabilities", folder + "/small.nii.gz", "-o", folder + "/never.nii.gz"])
        #expect(other.status == 2)
        #expect(!FileManager.default.fileExists(atPath: folder + "/never.nii.gz"))
        let png = try Data(contentsOf: URL(fileURLWithPath: folder + "/qc.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    }

    /// The key paths docs/REPORT.md documents (its first column; `.run` continues the key before).
    static func documentedReportKeys() -> [String] {
        let text = (try? String(contentsOf: CommandLineTests.repository.appendingPathComponent("docs/REPORT.md"), encoding: .utf8)) ?? ""
        var keys: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(2).prefix { $0 != "|" }
            var parent = ""
            for token in cell.split(separator: "`").enumerated().filter({ $0.offset % 2 == 0 }).map(\.element) {
                let key = token.hasPrefix(".") ? parent + token : String(token)
                parent = String(key.split(separator: ".").dropLast().joined(separator: "."))
                keys.append(key)
            }
        }
        return keys
    }

    /// The value at a dotted key path (`lungs.rightML`), or nil.
    static func value(at path: String, in object: [String: Any]?) -> Any? {
        var current: Any? = object
        for part in path.split(separator: ".") { current = (current as? [String: Any])?[String(part)] }
        return current
    }

    /// An output that cannot be written fails before any work, and an existing mask is untouched.
    @Test func unwritableOutputFailsBeforeWorkAndKeepsExistingFiles() throws {
        let folder = NSTemporaryDirectory() + "lungseg-segment-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("earlier mask".utf8).write(to: URL(fileURLWithPath: folder + "/mask.nii.gz"))
        let result = try CommandLineTests.run([
            "segment", Self.ct, "-o", folder + "/mask.nii.gz", "--qc", folder + "/missing/qc.png", "--weights", "seeded",
        ])
        #expect(result.status == 5)
        #expect(result.error.contains("missing/qc.png"))
        #expect(try String(contentsOfFile: folder + "/mask.nii.gz", encoding: .utf8) == "earlier mask")
        #expect((try FileManager.default.contentsOfDirectory(atPath: folder)) == ["mask.nii.gz"])
    }

    /// An output that is the input (directly or through a symlink), or two outputs that are one
    /// file, is a usage error before any work: the input is never overwritten.
    @Test func outputsThatAreTheInputOrEachOtherAreRefused() throws {
        let folder = NSTemporaryDirectory() + "lungseg-collide-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/in.nii.gz"
        try FileManager.default.copyItem(atPath: Self.ct, toPath: input)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.nii.gz", withDestinationPath: "in.nii.gz")
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        for arguments in [["-o", input], ["-o", folder + "/m.nii.gz", "--probabilities", folder + "/m.nii.gz"],
                          ["-o", folder + "/m.nii.gz", "--report", folder + "/link.nii.gz"]] {
            let result = try CommandLineTests.run(["segment", input] + arguments + ["--weights", "seeded"])
            #expect(result.status == 64, "\(arguments): \(result.error)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == ["in.nii.gz", "link.nii.gz"])
    }

    /// A batch the memory cannot hold, or an overlap that multiplies the windows past a
    /// thousandfold, is a usage error at once (not an abort allocating 642 GB, not a run that never ends).
    @Test func unboundedBatchAndOverlapAreRefused() throws {
        for arguments in [["--batch", "100000"], ["--overlap", "0.999999"], ["--overlap", "nan"], ["--overlap", "-0.1"]] {
            let result = try CommandLineTests.run(["segment", Self.ct, "-o", NSTemporaryDirectory() + "/never-\(UUID().uuidString).nii.gz", "--weights", "seeded"] + arguments)
            #expect(result.status == 64, "\(arguments): \(result.error)")
        }
        // The library checks the same for a caller that is not the CLI.
        var options = SegmentationOptions()
        options.overlap = .nan
        let volume = try NIfTIReader.read(Self.ct)
        #expect(throws: PipelineError.self) { try LungSegmenter(parameters: .clara, options: options).prepare(volume) }
    }

    /// LUNGSEG_MODEL overrides the bundled model; naming a missing file is "no usable model".
    @Test func aMissingModelNamedByTheEnvironmentIsNoModel() throws {
        let mask = NSTemporaryDirectory() + "/never-\(UUID().uuidString).nii.gz"
        let result = try CommandLineTests.run(["segment", Self.ct, "-o", mask], environment: ["LUNGSEG_MODEL": "/nonexistent/model.safetensors"])
        #expect(result.status == 4)
        #expect(result.error.contains("LUNGSEG_MODEL names /nonexistent/model.safetensors, which does not exist"))
        #expect(!FileManager.default.fileExists(atPath: mask))
    }
}

@Suite("lungseg bench")
struct BenchCommandTests {
    /// The table has a row for the CPU backend with the columns the README names (no timing asserted).
    @Test func printsATableForTheCPUBackend() throws {
        let result = try CommandLineTests.run(["bench", "--backend", "cpu", "--repeats", "2", "--threads", "2"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("SGEMM 2048^3"))
        #expect(result.output.contains("| first (s) | median (s) | windows/s | GFLOP/s | share of SGEMM peak"))
        #expect(result.output.split(separator: "\n").contains { $0.hasPrefix("CPU (OpenBLAS, 2 threads)") })
        #expect(result.output.contains("peak resident memory:"))
    }
}
