import Logging
import Messenger

/// The failure path's benchmark: rows whose message type no longer exists (a type removed by a
/// deploy), each parked in the failure transport by a worker process.
enum ParkBenchmark {
    static let goneHeaders = #"{"type":"Benchmark.Gone"}"#
    static let body = #"{"id":1,"payload":"a removed message type"}"#

    /// The worker of a parking run: `atomic` replaces each original by its parked copy in the
    /// receiver's batched transaction; otherwise two steps per message.
    static func worker(receiver: any Transport, failed: any Sender, atomic: Bool) -> Worker {
        // Parking is logged at error level: a line or two per batch, kept out of the printed table.
        var logger = PostgresBenchmarks.quietLogger
        logger.logLevel = .critical
        let transport = WorkerTransport(name: "bench", receiver: atomic ? receiver : TwoStepReceiver(base: receiver), retrySender: receiver,
                                        retryStrategy: MultiplierRetryStrategy(), failureDestination: .init(name: "failed", sender: failed))
        let bus = MessageBus(registry: benchmarkRegistry(), senders: SendersLocator(routing: [:], senders: [:]))
        return Worker(transports: [transport], bus: bus, options: WorkerOptions(sleep: .milliseconds(10), stopWhenEmpty: true), logger: logger,
                      serializer: JSONSerializer(registry: benchmarkRegistry()))
    }
}
