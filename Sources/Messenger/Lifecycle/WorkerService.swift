import Logging
import ServiceLifecycle

/// A worker as a swift-service-lifecycle `Service`, to run in the application's `ServiceGroup`
/// beside its HTTP server (Hummingbird's `addServices`, say).
///
/// A graceful shutdown of the group (SIGTERM, or the server stopping) stops the worker as
/// `Worker.stop()` does: the messages in hand finish and are acknowledged, the ones not started are
/// given back. Cancellation does the same instead of failing the handlers in progress. The service
/// returns when the worker stops, whatever the reason: give a worker with limits the
/// `successTerminationBehavior: .gracefullyShutdownGroup` of its `ServiceConfiguration`, so that its
/// group ends with it instead of reporting a service that finished unexpectedly.
public struct WorkerService: Service {
    /// The worker it runs.
    public let worker: Worker

    /// A service running `worker`.
    public init(worker: Worker) { self.worker = worker }

    /// A worker over `transports`, handing messages to `bus`.
    public init(transports: [WorkerTransport], bus: MessageBus, options: WorkerOptions = WorkerOptions(), logger: Logger = Logger(label: "messenger.worker")) {
        self.init(worker: Worker(transports: transports, bus: bus, options: options, logger: logger))
    }

    public func run() async throws {
        // In a task of its own: the group's cancellation reaches the worker as a stop, never as a
        // cancelled handler.
        let running = Task { await worker.run() }
        await withTaskCancellationOrGracefulShutdownHandler {
            _ = await running.value
        } onCancelOrGracefulShutdown: {
            worker.stop()
            worker.logger.info("Shutting down: finishing the messages in hand, then stopping")
        }
    }
}
