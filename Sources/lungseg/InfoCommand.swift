import AHNet
import ArgumentParser
import Foundation
import LungSegKit

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a CT volume (dims, spacing, orientation, HU range, affine) or a weights file (tensors, parameters, metadata).")

    @Argument(help: "A NIfTI volume (.nii, .nii.gz, .hdr/.img), a folder of DICOM files, or a weights file (.safetensors, torch.save .pt).")
    var file: String

    @Option(help: "The SeriesInstanceUID to describe when FILE is a DICOM folder (default: the CT series lungseg would segment).")
    var series: String?

    func run() throws {
        do {
            if VolumeInput.isFolder(file) {
                let dicom = try DICOMSeriesReader.read(folder: file, series: series)
                print(VolumeDescription(dicom: dicom, path: file).text)
                for warning in dicom.warnings { warn(warning) }
            } else if [".nii", ".nii.gz", ".hdr", ".hdr.gz", ".img", ".img.gz"].contains(where: { file.lowercased().hasSuffix($0) }) {
                let (volume, warnings) = try VolumeInput.read(file, series: series)
                print(VolumeDescription(volume: volume, path: file).text)
                for warning in warnings { warn(warning) }
            } else {
                try describeWeights()
            }
        } catch {
            throw fail(error)
        }
    }

    private func describeWeights() throws {
        var contents = try WeightsFile.read(file)
        let release = KnownWeights.recognise(&contents, path: file)
        let tensorValues = contents.stateDict.values.reduce(0) { $0 + $1.count }
        print("file:        \(file)")
        print("format:      \(contents.format)")
        print("tensors:     \(contents.stateDict.count) (\(tensorValues) values)")
        if let release {
            print("release:     \(release.name) (size and SHA-256 match)")
        }
        do {
            let weights = try AHNetWeights(stateDict: contents.stateDict, metadata: contents.metadata)
            print("model:       AH-Net, Clara PT config: all tensors present with MONAI shapes")
            print("parameters:  \(weights.parameterCount) trainable")
        } catch {
            print("model:       not a Clara-config AH-Net: \(error)")
        }
        let pipeline = contents.metadata.pipeline
        print("metadata:    from \(contents.metadataSource)")
        print("  spacing \(pipeline.spacing.array.map { String($0) }.joined(separator: " x ")) mm, clip [\(pipeline.clipMin), \(pipeline.clipMax)] HU -> [\(pipeline.scaledMin), \(pipeline.scaledMax)], window \(pipeline.windowSize), orientation \(pipeline.orientation), label \(pipeline.foregroundLabel)")
        for (key, value) in contents.metadata.provenance.sorted(by: { $0.key < $1.key }) {
            print("  \(key): \(value)")
        }
    }
}
