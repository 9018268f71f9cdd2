import Foundation

/// A receiver that can tell an idle worker when new messages arrive (e.g. PostgreSQL LISTEN/NOTIFY),
/// so that the worker sleeps long and still starts a new message within milliseconds.
public protocol WakeUpSource: Sendable {
    /// Starts calling `handler` whenever messages may have become available.
    func startWakeUps(_ handler: @escaping @Sendable () -> Void) async
    /// The longest a worker may stay idle while wake-ups work; nil while they do not (polling applies).
    var idleWaitWhileListening: Duration? { get }
}

/// A receiver that knows when its next delayed message falls due, so that an idle worker wakes then.
public protocol DelayAwareReceiver: Receiver {
    /// When the next waiting message falls due; nil when none waits.
    func nextAvailableDate() async throws -> Date?
}
