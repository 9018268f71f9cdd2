import Foundation

/// A worker process as it records itself: who, where, what it consumes, and how it is doing.
public struct WorkerRecord: Sendable, Codable, Equatable {
    /// The worker's id (``WorkerIdentity/id`` of its process).
    public var id: String
    /// The host it runs on.
    public var host: String
    /// Its process id.
    public var pid: Int32
    /// The receivers it consumes, first-named first.
    public var receivers: [String]
    /// When it started.
    public var startedAt: Date
    /// Renewed every few seconds while it runs (`WorkerHeartbeat.interval`).
    public var heartbeatAt: Date
    /// Set when it stopped by itself; a worker that died keeps nil and its heartbeat ages.
    public var stoppedAt: Date?
    /// Messages it is handling now.
    public var inHand: Int
    /// Messages it handled since it started.
    public var handled: Int
    /// Messages that failed in it since it started.
    public var failed: Int

    /// A worker's record with every field given.
    public init(id: String, host: String, pid: Int32, receivers: [String], startedAt: Date, heartbeatAt: Date, stoppedAt: Date? = nil,
                inHand: Int = 0, handled: Int = 0, failed: Int = 0) {
        self.id = id
        self.host = host
        self.pid = pid
        self.receivers = receivers
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.stoppedAt = stoppedAt
        self.inHand = inHand
        self.handled = handled
        self.failed = failed
    }

    /// `running`, `stopped`, or `gone` (no heartbeat for `WorkerHeartbeat.goneAfter`: it died).
    public func state(at now: Date = Date()) -> String {
        if stoppedAt != nil { return "stopped" }
        return now.timeIntervalSince(heartbeatAt) > WorkerHeartbeat.goneAfter.seconds ? "gone" : "running"
    }
}
