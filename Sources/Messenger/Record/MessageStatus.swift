/// Where a message is in its life, as its status record says.
public enum MessageStatus: String, Sendable, Codable, CaseIterable {
    /// Stored and due: waiting for a worker.
    case queued
    /// Stored with a delay: not due yet.
    case scheduled
    /// A worker is handling it.
    case running
    /// Its handling failed; it waits for its next attempt.
    case retrying
    /// Handled.
    case completed
    /// Parked in the failure transport (or dropped when there is none) after its last attempt.
    case failed
    /// Cancelled before or while it ran.
    case cancelled

    /// True once nothing more will happen to the message by itself.
    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }

    /// The status of a message just stored: what the worker said (`retrying`, `failed`) for a
    /// failed message's replacement, else `scheduled` when delayed, `queued` when due.
    public static func stored(_ envelope: Envelope) -> MessageStatus {
        if let said = envelope.last(StoredStatusStamp.self) { return said.status }
        if let delay = envelope.last(DelayStamp.self), delay.milliseconds > 0 { return .scheduled }
        return .queued
    }

    /// The status of a message the bus just dispatched: as stored, or `completed` when no transport
    /// stored it (a sync route handled it at once).
    public static func dispatched(_ envelope: Envelope) -> MessageStatus {
        envelope.all(SentStamp.self).isEmpty ? .completed : stored(envelope)
    }
}
