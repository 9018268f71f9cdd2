/// Asks the sender to make the message available only after the given delay.
public struct DelayStamp: Stamp {
    /// How long the message waits before it is due.
    public let delay: Duration
    /// A delay of `delay`.
    public init(_ delay: Duration) { self.delay = delay }
    /// A delay of `milliseconds`.
    public init(milliseconds: Int) { self.delay = .milliseconds(milliseconds) }

    /// The delay in whole milliseconds, never negative.
    public var milliseconds: Int64 { max(0, delay.wholeMilliseconds) }
}
