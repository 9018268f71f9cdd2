/// A named place where messages wait: both the sender and the receiver side.
public protocol Transport: Sender, Receiver {}

/// A transport whose storage can be created ahead of time (`messenger:setup-transports`).
public protocol SetupableTransport: Transport {
    /// Creates what the transport stores into (tables, indexes), unless it exists.
    func setup() async throws
}

/// A transport that can tell how many messages it holds (`messenger:stats`).
public protocol MessageCountingTransport: Transport {
    /// The counts of the stored messages.
    func statistics() async throws -> TransportStatistics
}

/// A transport that holds resources to release when the process is done with it.
public protocol ClosableTransport: Transport {
    /// Releases its connections; pending acknowledgements are written first.
    func close() async
}

/// A count of a transport's messages by state.
public struct TransportStatistics: Sendable, Equatable, Codable {
    /// Every stored message.
    public var total: Int
    /// Messages due now and waiting for a worker.
    public var ready: Int
    /// Messages not yet due (delayed or waiting for a retry).
    public var delayed: Int
    /// Messages claimed by a worker and not yet acknowledged.
    public var inFlight: Int
    /// Age in seconds of the oldest stored message, nil when empty.
    public var oldestAgeSeconds: Double?
    /// The waiting counts are the database's estimates (a queue too large to count at once:
    /// PostgreSQL past `TransportStatistics.exactUpTo` messages); in-flight is always exact.
    public var estimated: Bool

    /// Counts, as a transport read them.
    public init(total: Int, ready: Int, delayed: Int, inFlight: Int, oldestAgeSeconds: Double?, estimated: Bool = false) {
        self.total = total
        self.ready = ready
        self.delayed = delayed
        self.inFlight = inFlight
        self.oldestAgeSeconds = oldestAgeSeconds
        self.estimated = estimated
    }

    /// Queues up to this size are counted exactly.
    public static let exactUpTo = 50_000
}
