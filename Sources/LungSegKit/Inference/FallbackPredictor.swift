import AHNet

/// A predictor on one backend that, when the backend fails (`BackendFailure`: device memory, a
/// lost device, a kernel that does not build), builds the fallback once, runs the windows that
/// failed there, and keeps using it: the windows already blended stay, nothing runs twice. This
/// is `auto`'s CPU fallback for every pipeline (`segment`, `batch`, a library caller).
public final class FallbackPredictor: WindowPredictor {
    /// A predictor and the device it runs on, for reports.
    public typealias Made = (predictor: any WindowPredictor, device: String)

    /// The device the windows run on now.
    public private(set) var deviceDescription: String
    private var current: any WindowPredictor
    private var fallback: (() throws -> Made)?
    private let warn: (String) -> Void

    /// Makes the primary predictor; a `BackendFailure` while making it already moves to the
    /// fallback, when there is one.
    public init(primary: () throws -> Made, fallback: (() throws -> Made)?, warn: @escaping (String) -> Void) throws {
        self.warn = warn
        let made: Made
        do {
            made = try primary()
            self.fallback = fallback
        } catch let failure as BackendFailure {
            guard let fallback else { throw failure }
            warn("the backend could not start (\(failure)); running on the fallback instead")
            made = try fallback()
            self.fallback = nil
        }
        (current, deviceDescription) = made
    }

    public func predict(_ windows: [Float], batch: Int, size: Size3) throws -> [Float] {
        do {
            return try current.predict(windows, batch: batch, size: size)
        } catch let failure as BackendFailure {
            guard let makeFallback = fallback else { throw failure }
            fallback = nil
            warn("\(deviceDescription) failed (\(failure)); these and the remaining windows run on the fallback")
            (current, deviceDescription) = try makeFallback()
            return try current.predict(windows, batch: batch, size: size)
        }
    }
}

extension BackendRegistry {
    /// AH-Net on the backend `name` chooses (or `auto`), with `auto`'s fallback built in.
    public func predictor(
        _ name: String, options: BackendOptions, weights: AHNetWeights, warn: @escaping (String) -> Void
    ) throws -> FallbackPredictor {
        let resolved = try resolve(name, options: options)
        func make(_ registration: BackendRegistration, _ options: BackendOptions) throws -> FallbackPredictor.Made {
            let backend = try registration.open(options)
            return (try Self.ahnet(weights, on: backend), backend.deviceDescription)
        }
        let fallback = resolved.fallback.map { registration in { try make(registration, options) } }
        return try FallbackPredictor(primary: { try make(resolved.primary, resolved.options) }, fallback: fallback, warn: warn)
    }

    /// Opens the existential: the graph is generic over its backend.
    private static func ahnet<Backend: AHNetBackend>(_ weights: AHNetWeights, on backend: Backend) throws -> any WindowPredictor {
        try AHNetPredictor(weights: weights, backend: backend)
    }
}
