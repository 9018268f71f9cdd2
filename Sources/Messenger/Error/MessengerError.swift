/// An error raised by the messenger itself (not by a handler): a code to match on and a sentence to read.
public struct MessengerError: Error, CustomStringConvertible, Equatable {
    /// The kinds of messenger errors.
    public enum Code: String, Sendable {
        /// A message with no handler was to be handled now.
        case noHandler
        /// A handler was given a message of another type than it handles.
        case handlerTypeMismatch
        /// A transport name that is not configured.
        case unknownTransport
        /// A wire name that no registered message type has.
        case unknownMessageType
        /// A DSN that cannot be parsed.
        case invalidDSN
        /// A DSN whose scheme no registered transport factory serves.
        case unsupportedDSNScheme
        /// A transport option or setting has a value it cannot take.
        case invalidOption
        /// A stored message cannot be decoded (malformed JSON, unknown type).
        case decodingFailed
        /// A message cannot be encoded for its transport.
        case encodingFailed
        /// The transport's storage failed (a database error, a lost connection).
        case transportFailure
        /// The transport does not offer the operation.
        case notSupported
        /// A message held for dispatch after the current one could not be dispatched.
        case deferredDispatchFailed
    }

    /// What kind of error it is.
    public let code: Code
    /// The sentence that says what went wrong, naming the culprit.
    public let message: String

    /// An error of kind `code`, explained by `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
