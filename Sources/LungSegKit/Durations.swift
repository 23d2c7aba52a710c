extension Duration {
    /// The duration in seconds (stage timings, batch status lines, the command line's reports).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
