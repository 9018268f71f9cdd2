/// How many times a transport has delivered this stored message (this delivery included), and how
/// many earlier deliveries are known to have started a handler whose worker then stopped.
///
/// A count above one means an earlier worker claimed the message and never acknowledged it: it died.
public struct DeliveryCountStamp: Stamp, Equatable {
    /// Deliveries so far, this one included.
    public let count: Int
    /// Earlier deliveries known to have started a handler whose worker stopped (killed, crashed, out
    /// of memory) before acknowledging: what the poison-message check counts. A claim that may never
    /// have reached a handler (the rest of a dead worker's batch, a batch claimed ahead) is not counted.
    public let abandonedStarts: Int

    /// Delivery number `count`, after `abandonedStarts` handlings that never ended.
    public init(_ count: Int, abandonedStarts: Int = 0) {
        self.count = count
        self.abandonedStarts = abandonedStarts
    }
}
