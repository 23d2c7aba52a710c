/// The anatomical stages read the cropped CT as whole Hounsfield units in Int16: half the memory
/// of float32 on the largest array they hold. Their thresholds are whole numbers, so a CT stored
/// as integers (the usual case, slope 1) gives exactly the masks float32 would; other values are
/// rounded to the nearest unit.
enum WholeHU {
    /// `value` rounded to the nearest unit and clamped to Int16's range; NaN (which no reader lets
    /// through) becomes 0.
    @inline(__always)
    static func from(_ value: Float) -> Int16 {
        guard !value.isNaN else { return 0 }
        return Int16(min(max(value.rounded(), -32768), 32767))
    }
}
