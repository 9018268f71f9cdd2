/// How a worker runs and when it stops (the options of `messenger:consume`).
public struct WorkerOptions: Sendable, Equatable {
    /// Stop after this many messages were handled (successfully or not).
    public var limit: Int?
    /// Stop after this many messages failed.
    public var failureLimit: Int?
    /// Stop once the process's resident memory exceeds this many bytes.
    public var memoryLimitBytes: Int?
    /// Stop after running this long.
    public var timeLimit: Duration?
    /// How long to wait before polling again when every receiver was empty.
    public var sleep: Duration
    /// Read only these queues of the receivers that have queues.
    public var queues: [String]?
    /// Tell the transport the message is still being worked on this often while a handler runs.
    public var keepaliveInterval: Duration?
    /// Stop as soon as every receiver is empty.
    public var stopWhenEmpty: Bool
    /// The most messages claimed at once from one receiver.
    public var maxBatchSize: Int
    /// How many handlers run at once in this process.
    public var concurrency: Int

    /// Options; each limit is off when nil.
    public init(
        limit: Int? = nil, failureLimit: Int? = nil, memoryLimitBytes: Int? = nil, timeLimit: Duration? = nil,
        sleep: Duration = .seconds(1), queues: [String]? = nil, keepaliveInterval: Duration? = nil,
        stopWhenEmpty: Bool = false, maxBatchSize: Int = 500, concurrency: Int = 1
    ) {
        self.limit = limit
        self.failureLimit = failureLimit
        self.memoryLimitBytes = memoryLimitBytes
        self.timeLimit = timeLimit
        self.sleep = sleep
        self.queues = queues
        self.keepaliveInterval = keepaliveInterval
        self.stopWhenEmpty = stopWhenEmpty
        self.maxBatchSize = maxBatchSize
        self.concurrency = max(1, concurrency)
    }
}
