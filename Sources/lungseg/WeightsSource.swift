import AHNet
import LungSegKit
import ArgumentParser
import Foundation

/// What `--weights` names: a weights file, the reproducible untrained test weights
/// ("seeded[:SALT]"), or (hidden, `segment` and `batch` only) no network at all ("stub": a
/// threshold, for measuring the pipeline). Absent: the bundled model.
enum WeightsSource: ExpressibleByArgument, Equatable, CustomStringConvertible {
    case file(String)
    case seeded(salt: UInt64)
    case stub

    init?(argument: String) {
        if argument == "stub" {
            self = .stub
        } else if argument == "seeded" {
            self = .seeded(salt: 0)
        } else if argument.hasPrefix("seeded:") {
            guard let salt = UInt64(argument.dropFirst("seeded:".count)) else { return nil }
            self = .seeded(salt: salt)
        } else {
            self = .file(argument)
        }
    }

    /// As written on the command line (and in reports).
    var description: String {
        switch self {
        case .file(let path): path
        case .seeded(let salt): salt == 0 ? "seeded" : "seeded:\(salt)"
        case .stub: "stub"
        }
    }

    /// `--weights` if given, else the bundled model's file.
    static func chosen(_ given: WeightsSource?) throws -> WeightsSource {
        try given ?? .file(BundledModel.locate())
    }

    /// The weights; nil for the stub (no network).
    func load() throws -> AHNetWeights? {
        switch self {
        case .file(let path): try Self.load(path)
        case .seeded(let salt): try AHNetWeights(stateDict: SeededWeights.stateDict(salt: salt))
        case .stub: nil
        }
    }

    /// A file's weights; a release lungseg recognises (`KnownWeights`) without a sidecar of its
    /// own gets its model card's metadata.
    static func load(_ path: String) throws -> AHNetWeights {
        var contents = try WeightsFile.read(path)
        KnownWeights.recognise(&contents, path: path)
        return try AHNetWeights(stateDict: contents.stateDict, metadata: contents.metadata)
    }

    /// The weights, for commands that need a network ("stub" is a usage error there).
    func loadNetwork() throws -> AHNetWeights {
        guard let weights = try load() else {
            throw CommandFailure(description: "--weights stub runs no network; this command needs one", exitStatus: ExitStatus.usage)
        }
        return weights
    }
}
