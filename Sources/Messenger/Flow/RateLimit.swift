/// At most `limit` starts per `interval`, shared by every worker: a token bucket that holds up to
/// `limit` tokens and gains `limit` of them per interval, evenly. A start takes a token; a worker
/// finding none waits until the next one is due.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// How many starts each interval allows.
    public let limit: Int
    /// The interval, in milliseconds.
    public let intervalMilliseconds: Int64

    /// At most `limit` starts every `intervalMilliseconds`.
    public init(limit: Int, intervalMilliseconds: Int64) {
        self.limit = limit
        self.intervalMilliseconds = intervalMilliseconds
    }

    /// Tokens gained per millisecond.
    public var tokensPerMillisecond: Double { Double(limit) / Double(intervalMilliseconds) }

    /// The tokens a bucket holds after `elapsed` milliseconds with `tokens` at the start.
    public func refilled(_ tokens: Double, afterMilliseconds elapsed: Double) -> Double {
        min(Double(limit), tokens + max(0, elapsed) * tokensPerMillisecond)
    }

    /// Milliseconds until a bucket holding `tokens` holds a whole token.
    public func millisecondsUntilToken(_ tokens: Double) -> Double {
        tokens >= 1 ? 0 : (1 - tokens) / tokensPerMillisecond
    }

    public var description: String { "\(limit) per \(Self.wording(intervalMilliseconds))" }

    static func wording(_ milliseconds: Int64) -> String {
        if milliseconds % 3_600_000 == 0 { return "\(milliseconds / 3_600_000) h" }
        if milliseconds % 60_000 == 0 { return "\(milliseconds / 60_000) min" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(milliseconds) ms"
    }
}
