import AHNet

/// A predictor without a network, for measuring and testing the pipeline: probability 1 where
/// the window is darker than `belowHU` after the model's intensity scaling, else 0. Lungs and
/// outside air are dark; post-processing keeps the largest components inside the body crop.
public struct ThresholdPredictor: WindowPredictor {
    public let threshold: Float

    public init(belowHU: Double = -400, parameters: PipelineParameters) {
        let clipped = min(max(belowHU, parameters.clipMin), parameters.clipMax)
        let fraction = (clipped - parameters.clipMin) / (parameters.clipMax - parameters.clipMin)
        threshold = Float(parameters.scaledMin + fraction * (parameters.scaledMax - parameters.scaledMin))
    }

    public func predict(_ windows: [Float], batch: Int, size: Size3) throws -> [Float] {
        // On all cores, as the network would run: the stub stands in for the network in timings
        // of the stages around it, so its own loop should cost next to nothing.
        let threshold = threshold
        return [Float](unsafeUninitializedCapacity: windows.count) { probabilities, initialized in
            windows.withUnsafeBufferPointer { windows in
                guard let target = probabilities.baseAddress else { return }
                ParallelFor.run(0..<windows.count, minimumChunk: 1 << 16) { range in
                    for index in range { (target + index).initialize(to: windows[index] < threshold ? 1 : 0) }
                }
            }
            initialized = windows.count
        }
    }
}
