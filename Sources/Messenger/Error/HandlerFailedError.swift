/// One or more handlers of a message threw. Carries the envelope as it stood (with the `HandledStamp`s
/// of the handlers that succeeded) and every failure.
public struct HandlerFailedError: Error, CustomStringConvertible {
    /// One handler's failure.
    public struct Failure: Sendable {
        /// The handler's registered name.
        public let handlerName: String
        /// What it threw.
        public let error: any Error

        /// A failure of the handler named `handlerName`.
        public init(handlerName: String, error: any Error) {
            self.handlerName = handlerName
            self.error = error
        }
    }

    /// The envelope as it stood after the handlers ran: a `HandledStamp` for each one that succeeded.
    public let envelope: Envelope
    /// The handlers that threw, in the order they ran.
    public let failures: [Failure]

    /// The failures of the handlers of `envelope`.
    public init(envelope: Envelope, failures: [Failure]) {
        self.envelope = envelope
        self.failures = failures
    }

    public var description: String {
        failures.map { "\($0.handlerName): \(String(describing: $0.error))" }.joined(separator: "; ")
    }

    /// True when every failure is unrecoverable: retrying cannot help.
    public var isUnrecoverable: Bool { failures.allSatisfy { $0.error is any UnrecoverableError } }
    /// True when at least one failure asks to be retried whatever the strategy says.
    public var isRecoverable: Bool { failures.contains { $0.error is any RecoverableError } }
}
