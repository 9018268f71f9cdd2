/// One receiver a worker consumes, with what to do when its messages fail.
public struct WorkerTransport: Sendable {
    /// Where a failed message is parked once retries are over.
    public struct FailureDestination: Sendable {
        /// The failure transport's name.
        public let name: String
        /// Where parked messages are stored.
        public let sender: any Sender
        /// Failure transport `name`, storing through `sender`.
        public init(name: String, sender: any Sender) {
            self.name = name
            self.sender = sender
        }
    }

    /// The receiver's name (the transport's, or `scheduler_<name>`).
    public let name: String
    /// Where messages are claimed.
    public let receiver: any Receiver
    /// Where retries are sent: normally the transport itself.
    public let retrySender: any Sender
    /// When a failed message is retried, and after how long.
    public let retryStrategy: any RetryStrategy
    /// Where a message is parked once its retries are over; without one it is dropped.
    public let failureDestination: FailureDestination?

    /// A receiver with its retries and failure destination.
    public init(name: String, receiver: any Receiver, retrySender: any Sender, retryStrategy: any RetryStrategy, failureDestination: FailureDestination?) {
        self.name = name
        self.receiver = receiver
        self.retrySender = retrySender
        self.retryStrategy = retryStrategy
        self.failureDestination = failureDestination
    }

    /// A transport consumed by a worker that retries and parks through the transport itself.
    public init(name: String, transport: any Transport, retryStrategy: any RetryStrategy = MultiplierRetryStrategy(), failureDestination: FailureDestination? = nil) {
        self.init(name: name, receiver: transport, retrySender: transport, retryStrategy: retryStrategy, failureDestination: failureDestination)
    }
}
