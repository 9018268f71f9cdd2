/// What to do with a message whose handling failed.
public enum FailureDecision: Sendable, Equatable {
    /// Send it again to its transport, due after this many milliseconds.
    case retry(delayMilliseconds: Int)
    /// Park it in the failure transport.
    case park
    /// No failure transport is configured: it can only be dropped (and logged as critical).
    case discard

    /// Decides from the error, the attempts already failed (this one included) and the strategy.
    public static func decide(
        error: any Error, envelope: Envelope, failedAttempts: Int,
        strategy: any RetryStrategy, hasFailureTransport: Bool
    ) -> FailureDecision {
        if !FailureClassification.isUnrecoverable(error)
            && (FailureClassification.isRecoverable(error) || strategy.isRetryable(envelope, error: error, failedAttempts: failedAttempts)) {
            let wait = strategy.waitingTime(envelope, error: error, failedAttempts: failedAttempts)
            return .retry(delayMilliseconds: Int(DelayStamp(wait).milliseconds))
        }
        return hasFailureTransport ? .park : .discard
    }
}

/// Reads the retry markers through the wrappers the bus puts around handler errors.
public enum FailureClassification {
    /// True when `error` (or every handler failure it wraps) is an ``UnrecoverableError``.
    public static func isUnrecoverable(_ error: any Error) -> Bool {
        if let failed = error as? HandlerFailedError { return failed.isUnrecoverable }
        if let messenger = error as? MessengerError {
            return [.noHandler, .decodingFailed, .unknownMessageType, .handlerTypeMismatch].contains(messenger.code)
        }
        return error is any UnrecoverableError
    }

    /// True when `error` (or one handler failure it wraps) is a ``RecoverableError``.
    public static func isRecoverable(_ error: any Error) -> Bool {
        if let failed = error as? HandlerFailedError { return failed.isRecoverable }
        return error is any RecoverableError
    }

    /// What makes failures alike, for log digests: the innermost error's type, and the code of the
    /// messenger's own errors.
    public static func reason(of error: any Error) -> String {
        if let failed = error as? HandlerFailedError {
            return failed.failures.map { reason(of: $0.error) }.joined(separator: ", ")
        }
        if let messenger = error as? MessengerError { return "MessengerError.\(messenger.code.rawValue)" }
        return String(reflecting: Swift.type(of: error))
    }

    /// The details kept with a parked message: the innermost error's type and text, and where it arose.
    public static func details(of error: any Error, transportName: String) -> ErrorDetailsStamp {
        if let failed = error as? HandlerFailedError, let first = failed.failures.first {
            let type = failed.failures.count == 1 ? String(reflecting: Swift.type(of: first.error)) : String(reflecting: HandlerFailedError.self)
            return ErrorDetailsStamp(errorType: type, message: failed.description, location: "handler \(failed.failures.map(\.handlerName).joined(separator: ", "))")
        }
        return ErrorDetailsStamp(errorType: String(reflecting: Swift.type(of: error)), message: String(describing: error), location: "transport \(transportName)")
    }
}

/// A message whose handlers keep starting and never finishing: its worker dies each time.
public struct AbandonedDeliveryError: UnrecoverableError, CustomStringConvertible {
    /// Deliveries known to have started a handler whose worker then stopped.
    public let starts: Int
    /// The error for a message whose handling was started `starts` times by workers that stopped.
    public init(starts: Int) { self.starts = starts }
    public var description: String {
        "started \(starts) time(s) and never acknowledged: the worker handling it stopped each time (killed, crashed or out of memory)"
    }
}
