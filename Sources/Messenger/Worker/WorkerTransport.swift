/// One receiver a worker consumes, with what to do when its messages fail.
public struct WorkerTransport: Sendable {
    /// Where a failed message is parked once retries are over.
    public struct FailureDestination: Sendable {
        public let name: String
        public let sender: any Sender
        public init(name: String, sender: any Sender) {
            self.name = name
            self.sender = sender
        }
    }

    public let name: String
    public let receiver: any Receiver
    /// Where retries are sent: normally the transport itself.
    public let retrySender: any Sender
    public let retryStrategy: any RetryStrategy
    public let failureDestination: FailureDestination?

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
