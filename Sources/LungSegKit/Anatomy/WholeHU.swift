/// The anatomical stages read the cropped CT as whole Hounsfield units in Int16: half the memory
/// of float32 on the largest array they hold. Their thresholds are whole numbers, so a CT stored
/// as integers (the usual case, slope 1) gives exactly the masks float32 would; other values are
/// rounded to the nearest unit.
enum WholeHU {
    /// `value` rounded to the nearest unit (halves to even) and clamped to Int16's range; NaN
    /// (which no reader lets through) becomes 0. Adding and taking away 1.5 * 2^23 rounds a
    /// float of at most 2^22 to a whole number without a call to libm.
    @inline(__always)
    static func from(_ value: Float) -> Int16 {
        guard !value.isNaN else { return 0 }
        let clamped = min(max(value, -32768), 32767)
        return Int16((clamped + 12_582_912) - 12_582_912)
    }
}
