import Logging
import Messenger
import ServiceLifecycle

/// A schedule's emitter as a swift-service-lifecycle `Service`: a worker consuming its
/// `scheduler_<name>` receiver, so that each occurrence is emitted once whatever the number of
/// processes running it (their ledger decides), and the messages routed nowhere are handled here.
/// It stops on the group's graceful shutdown, as `WorkerService` does.
public struct SchedulerService: Service {
    /// The schedule's receiver (`scheduler_<name>`).
    public let receiver: ScheduleReceiver
    private let worker: WorkerService

    /// `failureDestination` takes a locally handled message that fails (occurrences are not retried:
    /// the next one runs instead).
    public init(schedule: Schedule, ledger: any OccurrenceLedger, bus: MessageBus, senders: SendersLocator, clock: any SchedulerClock = SystemSchedulerClock(),
                failureDestination: WorkerTransport.FailureDestination? = nil, logger: Logger = Logger(label: "messenger.scheduler")) throws {
        receiver = try ScheduleReceiver(schedule: schedule, ledger: ledger, bus: bus, senders: senders, clock: clock, logger: logger)
        worker = WorkerService(transports: [receiver.workerTransport(failureDestination: failureDestination)], bus: bus, logger: logger)
    }

    public func run() async throws {
        try await worker.run()
        await receiver.close()
    }
}

extension ScheduleReceiver {
    /// The receiver as a worker consumes it: never retried (the next occurrence runs instead); a
    /// failing message handled here is parked in `failureDestination`, if any.
    public nonisolated func workerTransport(failureDestination: WorkerTransport.FailureDestination?) -> WorkerTransport {
        WorkerTransport(name: name, receiver: self, retrySender: failureDestination?.sender ?? NoRetrySender(receiver: name),
                        retryStrategy: MultiplierRetryStrategy(maxRetries: 0), failureDestination: failureDestination)
    }
}

/// Where the retries of a receiver that has none would go: nowhere.
struct NoRetrySender: Sender {
    let receiver: String
    func send(_ envelope: Envelope) async throws -> Envelope {
        throw MessengerError(.notSupported, "\(receiver) does not retry: the next occurrence runs instead")
    }
}
