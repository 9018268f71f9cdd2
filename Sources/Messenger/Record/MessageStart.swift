import Foundation

/// A handling attempt that started: which message, which attempt (retries and crashed deliveries
/// that had started count), when, on which worker. The worker's heartbeat writes it into the record
/// (status `running`) within `WorkerHeartbeat.interval` of the start, and the acknowledgement writes
/// it with the outcome: a claim itself, the hot path of a queue, writes no record.
public struct MessageStart: Sendable, Equatable {
    /// The message's public id.
    public let messageId: String
    /// Which attempt it is (1 for the first).
    public let attempt: Int
    /// When it started.
    public let startedAt: Date
    /// The worker that runs it.
    public let workerId: String

    /// Attempt `attempt` of message `messageId`, started at `startedAt` by `workerId` (this process by default).
    public init(messageId: String, attempt: Int, startedAt: Date, workerId: String = WorkerIdentity.id) {
        self.messageId = messageId
        self.attempt = attempt
        self.startedAt = startedAt
        self.workerId = workerId
    }

    /// Epoch milliseconds of the start.
    public var startedAtMilliseconds: Int64 { startedAt.epochMilliseconds }
}
