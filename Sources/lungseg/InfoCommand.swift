import ArgumentParser
import LungSegKit

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a CT volume: dims, spacing, orientation, datatype, HU range, affine.")

    @Argument(help: "A NIfTI volume (.nii, .nii.gz, .hdr/.img).")
    var file: String

    func run() throws {
        do {
            let volume = try NIfTIReader.read(file)
            print(VolumeDescription(volume: volume, path: file).text)
        } catch {
            throw fail(error)
        }
    }
}
