import Foundation

/// A message's status record: what it is, where it waits or ran, and how it ended. Kept in the
/// transport's database, written with the transport's own writes.
public struct MessageRecord: Sendable, Codable, Equatable {
    /// The public id (`MessageIdStamp`).
    public var id: String
    /// The message's wire name.
    public var type: String
    /// The transport that stored it, and its queue.
    public var transport: String
    /// The queue of its transport.
    public var queue: String
    /// Where it stands now.
    public var status: MessageStatus
    /// Handling attempts started so far, redeliveries after a crash included.
    public var attempts: Int
    /// When it was dispatched.
    public var createdAt: Date
    /// When it is (or was) due: after its delay, or its retry's.
    public var availableAt: Date
    /// When its latest attempt started.
    public var startedAt: Date?
    /// When it completed, failed for good or was cancelled.
    public var finishedAt: Date?
    /// The worker handling it, or that handled it last (`messenger:workers` lists them).
    public var workerId: String?
    /// The handler's last reported progress (0...1) and note.
    public var progress: Double?
    /// What the handler last said of its progress.
    public var progressNote: String?
    /// The handlers' result as JSON, when they returned an `Encodable` value.
    public var result: String?
    /// The last error: its type, text, and the handler or stage where it happened.
    public var errorType: String?
    /// The text of its last error.
    public var errorMessage: String?
    /// The handler whose error it was.
    public var errorHandler: String?
    /// The deduplication key or schedule occurrence it came from.
    public var origin: String?
    /// A cancellation was asked while it ran.
    public var cancelRequested: Bool
    /// Its row in the transport's table while stored.
    public var rowId: String?
    /// The message body as stored (searched by `messenger:history --search`).
    public var body: String?
    /// Why a due message waits (its ordered group, a full concurrency limit, a spent rate): read
    /// from its transport when the record is looked up, never stored.
    public var waitingOn: String?

    /// A record with every field given.
    public init(id: String, type: String, transport: String, queue: String, status: MessageStatus, attempts: Int = 0,
                createdAt: Date, availableAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil, workerId: String? = nil,
                progress: Double? = nil, progressNote: String? = nil, result: String? = nil, errorType: String? = nil,
                errorMessage: String? = nil, errorHandler: String? = nil, origin: String? = nil, cancelRequested: Bool = false,
                rowId: String? = nil, body: String? = nil) {
        self.id = id
        self.type = type
        self.transport = transport
        self.queue = queue
        self.status = status
        self.attempts = attempts
        self.createdAt = createdAt
        self.availableAt = availableAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.workerId = workerId
        self.progress = progress
        self.progressNote = progressNote
        self.result = result
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.errorHandler = errorHandler
        self.origin = origin
        self.cancelRequested = cancelRequested
        self.rowId = rowId
        self.body = body
    }
}
