import ArgumentParser
import LungSegKit

struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment the lungs of a chest CT into a NIfTI mask on the input grid.")

    @Argument(help: "The CT volume (.nii, .nii.gz, .hdr/.img).")
    var input: String

    @Option(name: .shortAndLong, help: "The mask to write (.nii or .nii.gz).")
    var output: String

    @Option(help: "A JSON report to write.")
    var report: String?

    @Option(help: "A PNG quality-control picture to write.")
    var qc: String?

    @Option(help: "Model weights (safetensors or NVIDIA's model.pt); the bundled model when omitted.")
    var weights: String?

    func run() throws {
        do {
            let volume = try NIfTIReader.read(input)
            print(VolumeDescription(volume: volume, path: input).text)
        } catch {
            throw fail(error)
        }
        // The network and the pipeline land in later steps (see the README's roadmap).
        throw fail(CommandFailure(
            description: "no model ships with lungseg yet, and the AH-Net forward pass is not built yet; "
                + "no mask was written",
            exitStatus: ExitStatus.noModel))
    }
}
