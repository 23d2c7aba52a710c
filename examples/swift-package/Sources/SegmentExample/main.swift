// Segments the lungs of a CT through lungseg's library API: read, segment on the CPU backend,
// write the mask. Usage: SegmentExample CT.nii.gz WEIGHTS.safetensors MASK.nii.gz
import AHNet
import AHNetCPU
import Foundation
import LungSegKit

let arguments = CommandLine.arguments
guard arguments.count == 4 else { fatalError("usage: SegmentExample CT.nii.gz WEIGHTS.safetensors MASK.nii.gz") }
let volume = try NIfTIReader.read(arguments[1])
let weights = try WeightsFile.load(arguments[2])
let predictor = try AHNetPredictor(weights: weights, backend: CPUBackend(threads: 2))
let result = try LungSegmenter(parameters: weights.metadata.pipeline).segment(volume, predictor: predictor)
try NIfTIWriter.writeMask(result.mask(), like: volume.header, to: arguments[3])
print(String(format: "lungs: right %.1f mL, left %.1f mL, airways %.1f mL", result.rightVolumeML, result.leftVolumeML, result.airwaysML))
