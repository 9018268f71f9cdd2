/// Chooses how many messages to claim at once: many when handlers are fast, one when they are slow,
/// so that a slow batch never holds messages that another worker could be handling.
public struct BatchSizer: Sendable, Equatable {
    /// The most messages claimed at once.
    public let maximum: Int
    /// The wall time one batch should take at most.
    public let targetBatchSeconds: Double
    /// The size of the next claim.
    public private(set) var current: Int

    /// A sizer that starts at one message and grows up to `maximum` while a batch takes under `targetBatchSeconds`.
    public init(maximum: Int, targetBatchSeconds: Double = 0.2) {
        self.maximum = max(1, maximum)
        self.targetBatchSeconds = targetBatchSeconds
        self.current = 1
    }

    /// Learns from a finished batch of `count` messages that took `seconds`.
    public mutating func record(count: Int, seconds: Double) {
        guard count > 0 else { return }
        let perMessage = seconds / Double(count)
        let fitting = perMessage > 0 ? Int(targetBatchSeconds / perMessage) : maximum
        // Grow at most fourfold per batch, shrink at once.
        current = min(maximum, max(1, min(fitting, current * 4)))
    }
}
