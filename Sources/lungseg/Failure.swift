import ArgumentParser
import Foundation
import LungSegKit
import AHNet

/// The exit codes documented in the README and `lungseg --help`.
enum ExitStatus {
    static let unexpected: Int32 = 1
    static let badInput: Int32 = 2
    static let backendFailure: Int32 = 3
    static let noModel: Int32 = 4
    static let writeFailed: Int32 = 5
    /// `batch`: the run finished but some cases failed or timed out.
    static let someCasesFailed: Int32 = 6
    /// Wrong command-line usage (ArgumentParser's validation failure, EX_USAGE).
    static let usage: Int32 = ExitCode.validationFailure.rawValue
}

/// Prints `lungseg: error: MESSAGE` once on stderr and exits with the code that fits the error.
func fail(_ error: any Error) -> ExitCode {
    FileHandle.standardError.write(Data("lungseg: error: \(error)\n".utf8))
    switch error {
    case let nifti as NIfTIError:
        switch nifti {
        case .writeFailed, .unsupportedOutputName, .gridMismatch: return ExitCode(ExitStatus.writeFailed)
        default: return ExitCode(ExitStatus.badInput)
        }
    case is DICOMError:
        return ExitCode(ExitStatus.badInput)
    case let segmentation as DICOMSegmentationError:
        switch segmentation {
        case .writeFailed: return ExitCode(ExitStatus.writeFailed)
        case .notASliceSeries, .emptyMask, .readFailed: return ExitCode(ExitStatus.badInput)
        }
    case is BackendFailure:
        return ExitCode(ExitStatus.backendFailure)
    case is WeightsError:
        return ExitCode(ExitStatus.noModel)
    case is NumPyError, is AHNetError, is BatchInputError, is ChecksumError, is PipelineError:
        return ExitCode(ExitStatus.badInput)
    case is BackendChoiceError:
        return ExitCode(ExitStatus.usage)
    case let failure as CommandFailure:
        return ExitCode(failure.exitStatus)
    default:
        return ExitCode(ExitStatus.unexpected)
    }
}

/// A failure of the tool itself, with the exit status it maps to.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    var exitStatus: Int32
}
