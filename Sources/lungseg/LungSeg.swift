import ArgumentParser

@main
struct LungSeg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lungseg",
        abstract: "Lung segmentation of chest CT with the AH-Net model, natively (OpenCL or CPU).",
        discussion: """
            Exit codes: 0 success; 1 unexpected failure; 2 bad input (unreadable or invalid image);
            3 compute backend failure; 4 no usable model (missing or invalid weights); 5 output could not be written;
            6 (batch) some cases failed or timed out;
            64 wrong command-line usage.
            """,
        subcommands: [SegmentCommand.self, PostprocessCommand.self, BatchCommand.self, InfoCommand.self, ForwardCommand.self, DevicesCommand.self, BenchCommand.self],
        defaultSubcommand: SegmentCommand.self)

    static func main() {
        BLASSetup.reexecuteIfNeeded()
        MemorySetup.useHeapForLargeArrays()
        main(nil)
    }
}
