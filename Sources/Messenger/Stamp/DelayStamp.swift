/// Asks the sender to make the message available only after the given delay.
public struct DelayStamp: Stamp {
    public let delay: Duration
    public init(_ delay: Duration) { self.delay = delay }
    public init(milliseconds: Int) { self.delay = .milliseconds(milliseconds) }

    /// The delay in whole milliseconds, never negative.
    public var milliseconds: Int64 { max(0, delay.wholeMilliseconds) }
}
