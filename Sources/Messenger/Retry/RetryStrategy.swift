/// Decides whether a failed message is tried again, and when.
public protocol RetryStrategy: Sendable {
    /// Whether to retry after `failedAttempts` failed attempts (1 after the first failure).
    func isRetryable(_ envelope: Envelope, error: any Error, failedAttempts: Int) -> Bool
    /// How long to wait before the next attempt.
    func waitingTime(_ envelope: Envelope, error: any Error, failedAttempts: Int) -> Duration
}
