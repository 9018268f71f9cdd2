/// An error that must never be retried: the message goes to the failure transport at once.
public protocol UnrecoverableError: Error {}

/// An error that is always retried, whatever the retry strategy's `max_retries`.
public protocol RecoverableError: Error {}

/// A ready-made unrecoverable error carrying a reason.
public struct UnrecoverableMessageError: UnrecoverableError, CustomStringConvertible {
    /// Why retrying cannot help.
    public let reason: String
    /// An unrecoverable error saying `reason`.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A ready-made recoverable error carrying a reason.
public struct RecoverableMessageError: RecoverableError, CustomStringConvertible {
    /// Why the message should be tried again.
    public let reason: String
    /// A recoverable error saying `reason`.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
