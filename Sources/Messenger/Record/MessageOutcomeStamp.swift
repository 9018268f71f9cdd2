/// How the handling of a received message ended, for its status record: the worker stamps the
/// envelope it acknowledges or rejects. In memory only.
public struct MessageOutcomeStamp: Stamp {
    /// The ends of an attempt that the record keeps.
    public enum Outcome: Sendable, Equatable {
        /// Handled; the handlers' result as JSON, if any.
        case completed(result: String?)
        /// Stopped on an operator's request.
        case cancelled
        /// Failed for good and dropped (no failure transport).
        case failed(ErrorDetailsStamp)
    }

    /// How it ended.
    public let outcome: Outcome
    /// The attempt that ended this way (its record's attempts, start time and worker).
    public let start: MessageStart?

    /// A stamp saying the attempt `start` ended with `outcome`.
    public init(_ outcome: Outcome, start: MessageStart? = nil) {
        self.outcome = outcome
        self.start = start
    }

    /// The status this outcome ends in.
    public var status: MessageStatus {
        switch outcome {
        case .completed: .completed
        case .cancelled: .cancelled
        case .failed: .failed
        }
    }
}

extension Envelope {
    /// The outcome the worker stamped, nil when none (a plain reject: the message lives on elsewhere).
    public var outcome: MessageOutcomeStamp? { last(MessageOutcomeStamp.self) }
}
