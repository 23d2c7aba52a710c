import Foundation
import LungSegKit

/// A CT as a volume: a NIfTI file or a DICOM series folder; the reader's warnings go to stderr.
func readVolume(_ path: String) throws -> Volume {
    let (volume, warnings) = try VolumeInput.read(path)
    for warning in warnings { warn("\(path): \(warning)") }
    return volume
}
