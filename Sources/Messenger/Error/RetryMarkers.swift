/// An error that must never be retried: the message goes to the failure transport at once.
public protocol UnrecoverableError: Error {}

/// An error that is always retried, whatever the retry strategy's `max_retries`.
public protocol RecoverableError: Error {}

/// A ready-made unrecoverable error carrying a reason.
public struct UnrecoverableMessageError: UnrecoverableError, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A ready-made recoverable error carrying a reason.
public struct RecoverableMessageError: RecoverableError, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
