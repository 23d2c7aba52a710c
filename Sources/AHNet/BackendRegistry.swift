/// A failure of the compute backend itself (a kernel that does not build, device memory, a lost
/// device), as opposed to bad input: what `auto` falls back to the CPU from. Backends' error types
/// conform (OpenCL's does).
public protocol BackendFailure: Error {}

/// What a caller chooses when opening a backend. Backend-specific settings travel by name in
/// `settings` (OpenCL: "tiles" = "M,N,K,perItemM,perItemN", "narrow-tiles" = "0" to turn the
/// narrow build off), so that a new backend adds settings without changing this type.
public struct BackendOptions: Sendable {
    /// CPU threads.
    public var threads: Int
    /// A device index within the backend (OpenCL: of `lungseg devices`); nil: the backend's choice.
    public var device: Int?
    public var settings: [String: String]

    public init(threads: Int, device: Int? = nil, settings: [String: String] = [:]) {
        self.threads = threads
        self.device = device
        self.settings = settings
    }
}

/// Whether a backend can run on this machine, and what it would use.
public struct BackendAvailability: Sendable, Equatable {
    /// It can run here.
    public var available: Bool
    /// It runs on an accelerator: `auto` prefers it to the CPU.
    public var accelerated: Bool
    /// Why (not), in words: "device [0] NVIDIA H200", "no OpenCL GPU", ...
    public var reason: String
    /// The device index `auto` would open (nil: the backend's default).
    public var device: Int?
    /// Every accelerated device of the backend (`bench --backend all` measures each).
    public var acceleratedDevices: [Int]

    public init(available: Bool, accelerated: Bool, reason: String, device: Int? = nil, acceleratedDevices: [Int] = []) {
        self.available = available
        self.accelerated = accelerated
        self.reason = reason
        self.device = device
        self.acceleratedDevices = acceleratedDevices
    }
}

/// One backend as the registry lists it: its name, whether it can run here, and how to open it.
/// Each backend module provides one (`CPUBackend.registration`, `OpenCLBackend.registration`).
public struct BackendRegistration: Sendable {
    /// The name `--backend` takes: "cpu", "opencl".
    public var name: String
    /// One line for `--help` and `lungseg devices`.
    public var summary: String
    /// Whether `BackendOptions.device` picks one of its devices (under `auto`, a given device
    /// means this backend, accelerated or not).
    public var selectsDevices: Bool
    /// Checked when asked (it may probe drivers).
    public var availability: @Sendable () -> BackendAvailability
    /// Opens the backend with the caller's options.
    public var open: @Sendable (BackendOptions) throws -> any AHNetBackend

    public init(
        name: String, summary: String, selectsDevices: Bool = false, availability: @escaping @Sendable () -> BackendAvailability,
        open: @escaping @Sendable (BackendOptions) throws -> any AHNetBackend
    ) {
        self.name = name
        self.summary = summary
        self.selectsDevices = selectsDevices
        self.availability = availability
        self.open = open
    }
}

/// Why a backend choice cannot be made.
public enum BackendChoiceError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknown(name: String, known: [String])

    public var description: String {
        switch self {
        case .unknown(let name, let known): "no backend named \(name); choose one of auto, \(known.joined(separator: ", "))"
        }
    }
}

/// The backends a program can run the network on, by name (as ggml's backend registry lists
/// its backends). `auto` takes the first available accelerated backend (with a device given: the
/// first that selects devices), else the fallback backend (the CPU), which it also keeps to fall
/// back to.
public struct BackendRegistry: Sendable {
    public let registrations: [BackendRegistration]
    /// The backend `auto` uses when no accelerated one is available, and falls back to.
    public let fallbackName: String
    public static let automatic = "auto"

    /// `registrations` in the order `auto` tries them; `fallback` names the one that always runs
    /// (the CPU).
    public init(_ registrations: [BackendRegistration], fallback: String) {
        self.registrations = registrations
        self.fallbackName = fallback
    }

    /// Every name `--backend` takes, "auto" first.
    public var names: [String] { [Self.automatic] + registrations.map(\.name) }

    public func registration(named name: String) -> BackendRegistration? {
        registrations.first { $0.name == name }
    }

    /// What a choice resolves to: the backend to open (with the device `auto` picked), and the one
    /// to fall back to when it fails (only under `auto`, and only from an accelerated backend).
    public struct Resolved: Sendable {
        public var primary: BackendRegistration
        public var options: BackendOptions
        public var fallback: BackendRegistration?
        /// Why `auto` chose it (nil for an explicit choice).
        public var reason: String?
    }

    public func resolve(_ name: String, options: BackendOptions) throws(BackendChoiceError) -> Resolved {
        let fallback = registration(named: fallbackName)
        guard name == Self.automatic else {
            guard let chosen = registration(named: name) else { throw .unknown(name: name, known: registrations.map(\.name)) }
            return Resolved(primary: chosen, options: options, fallback: nil, reason: nil)
        }
        for candidate in registrations {
            let availability = candidate.availability()
            // A device given with `auto` chooses the backend that has devices, even a CPU one.
            let wanted = options.device != nil ? candidate.selectsDevices : availability.accelerated
            guard candidate.name != fallbackName, availability.available, wanted else { continue }
            var chosen = options
            chosen.device = options.device ?? availability.device
            return Resolved(primary: candidate, options: chosen, fallback: fallback, reason: "\(candidate.name): \(availability.reason)")
        }
        guard let cpu = fallback else { throw .unknown(name: fallbackName, known: registrations.map(\.name)) }
        return Resolved(primary: cpu, options: options, fallback: nil, reason: "\(cpu.name): no accelerated backend is available")
    }

    /// Opens the resolved backend and runs `body` on it; under `auto`, a `BackendFailure` (opening
    /// or running) runs `body` again on the fallback, after `warn` is told why.
    public func run<Result>(
        _ name: String, options: BackendOptions, warn: (String) -> Void, _ body: (any AHNetBackend) throws -> Result
    ) throws -> Result {
        let resolved = try resolve(name, options: options)
        do {
            return try body(try resolved.primary.open(resolved.options))
        } catch let failure as BackendFailure {
            guard let fallback = resolved.fallback else { throw failure }
            warn("\(resolved.primary.name) failed (\(failure)); running on \(fallback.name) instead")
            return try body(try fallback.open(options))
        }
    }
}
