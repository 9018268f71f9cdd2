import ArgumentParser
import Dispatch
import Foundation
import Logging
import Messenger
import Scheduler
import ServiceLifecycle
import Synchronization
import MessengerConfig

/// `messenger:consume`: runs a worker on one or more receivers, in priority order.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messenger:consume",
        abstract: "Consume messages from transports, the first named first.",
        discussion: "SIGTERM, SIGINT or SIGHUP: finish the messages in hand, acknowledge them and exit 0. A second signal exits at once."
    )

    @Argument(help: "Receivers to consume, highest priority first: transport names, or scheduler_<schedule> to emit a schedule.")
    var receivers: [String] = []

    @Flag(help: "Consume every schedule (first, as scheduler_<name>), then every transport that stores messages, except failure transports.")
    var all = false

    @Option(name: .shortAndLong, help: "Stop after handling this many messages.")
    var limit: Int?

    @Option(name: [.customShort("f"), .long], help: "Stop after this many messages failed.")
    var failureLimit: Int?

    @Option(name: .shortAndLong, help: "Stop when the worker's memory exceeds this (e.g. 128M, 1G).")
    var memoryLimit: String?

    @Option(name: .shortAndLong, help: "Stop after running this many seconds.")
    var timeLimit: Int?

    @Option(help: "Seconds to wait before polling again when every receiver is empty.")
    var sleep: Double = 1

    @Option(help: "Only read these queues of the receivers (repeatable).")
    var queues: [String] = []

    @Option(help: "Every this many seconds, tell the transport a long-running message is still in hand.")
    var keepalive: Double?

    @Flag(help: "Stop as soon as every receiver is empty.")
    var stopWhenEmpty = false

    @Option(help: "The most messages claimed at once (the worker adapts below this to its handlers' speed).")
    var batchSize = 500

    @Option(help: "How many messages this process handles at once.")
    var concurrency = 1

    @Option(help: "Serve this worker's metrics for Prometheus on http://ADDRESS/metrics (e.g. 127.0.0.1:9101; :9101 for every interface).")
    var metricsAddress: String?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let failureLimit, failureLimit < 1 { throw ValidationError("--failure-limit must be at least 1") }
        if let memoryLimit, Formatting.bytes(memoryLimit) == nil { throw ValidationError("--memory-limit: expected a size such as 128M or 1G, got \"\(memoryLimit)\"") }
        if let timeLimit, timeLimit < 1 { throw ValidationError("--time-limit must be at least 1 second") }
        if sleep < 0 { throw ValidationError("--sleep cannot be negative") }
        if let keepalive, keepalive <= 0 { throw ValidationError("--keepalive must be a positive number of seconds") }
        if !(1...1000).contains(concurrency) { throw ValidationError("--concurrency must be from 1 to 1000") }
        if !(1...10_000).contains(batchSize) { throw ValidationError("--batch-size must be from 1 to 10000") }
        if let metricsAddress, MetricsAddress(metricsAddress) == nil {
            throw ValidationError("--metrics-address: expected HOST:PORT or :PORT with a port from 0 to 65535, got \"\(metricsAddress)\"")
        }
    }

    func run() async throws {
        let logger = verbosity.logger("messenger.worker")
        // Signals are caught from the first instant: one that arrives while the worker is being set up
        // shuts its service group down as soon as the group exists, instead of killing the process.
        let shutdown = ShutdownRequest()
        // SIGHUP too: a closed terminal or a restarted session must not kill a worker mid-message.
        let signals = SignalWatch(signals: [SIGTERM, SIGINT, SIGHUP]) { signal, count in
            if count == 1 {
                logger.notice("Received signal \(signal): finishing the messages in hand, then stopping")
                shutdown.request()
            } else {
                logger.warning("Received signal \(signal) again: exiting now; messages in hand will be delivered again")
                Foundation.exit(1)
            }
        }
        defer { signals.cancel() }
        let application = try ConsoleContext.current
        let metricsEndpoint = try await serveMetrics(application, logger: logger)
        let kernel = try MessengerKernel.boot(application, logger: logger)
        for problem in kernel.routingProblems() { throw MessengerError(.noHandler, "config/messenger.yaml: \(problem)") }
        let failureNames = Set(kernel.configuration.transports.keys.compactMap { kernel.configuration.failureTransport(for: $0) })
        let names = all
            ? (try kernel.schedules()).map { MessengerKernel.schedulerPrefix + $0.name } + kernel.storingTransportNames.filter { !failureNames.contains($0) }
            : receivers
        guard !names.isEmpty else {
            throw ConsoleError("name the receivers to consume, e.g. `messenger:consume async`, or pass --all; configured: \(kernel.storingTransportNames.joined(separator: ", "))")
        }
        let scheduled = names.filter { kernel.transports[$0] == nil && $0.hasPrefix(MessengerKernel.schedulerPrefix) }
        let schedules = scheduled.isEmpty ? [] : try kernel.schedules()
        let ledger = scheduled.isEmpty ? nil : try kernel.occurrenceLedger()
        let clock = scheduled.isEmpty ? nil : try kernel.schedulerClock()
        let transports = try names.map { name -> WorkerTransport in
            if let ledger, let clock, scheduled.contains(name) {
                return try kernel.scheduleWorkerTransport(named: name, schedules: schedules, ledger: ledger, clock: clock)
            }
            guard kernel.transports[name] != nil else {
                throw MessengerError(.unknownTransport, "unknown receiver \"\(name)\"; configured transports: \(kernel.storingTransportNames.joined(separator: ", ")); schedules are consumed as scheduler_<name>")
            }
            return try kernel.workerTransport(named: name)
        }
        for transport in transports {
            if let checked = transport.receiver as? any StartupCheckedTransport { try await checked.checkAtStartup() }
        }
        let options = WorkerOptions(
            limit: limit, failureLimit: failureLimit, memoryLimitBytes: memoryLimit.flatMap(Formatting.bytes),
            timeLimit: timeLimit.map { .seconds($0) }, sleep: .milliseconds(Int(sleep * 1000)),
            queues: queues.isEmpty ? nil : queues, keepaliveInterval: keepalive.map { .milliseconds(Int($0 * 1000)) },
            stopWhenEmpty: stopWhenEmpty, maxBatchSize: batchSize, concurrency: concurrency
        )
        let worker = Worker(
            transports: transports, bus: kernel.bus, options: options, logger: logger,
            serializer: kernel.serializer, stopSignalStores: kernel.stopSignalStores(for: names + (scheduled.isEmpty ? [] : [try kernel.stateTransportName()].compactMap { $0 }))
        )
        // The worker runs as a service: the first signal is the group's graceful shutdown.
        let service = ServiceGroupConfiguration.ServiceConfiguration(service: WorkerService(worker: worker), successTerminationBehavior: .gracefullyShutdownGroup)
        try await shutdown.run(ServiceGroup(configuration: ServiceGroupConfiguration(services: [service], logger: logger)))
        await ledger?.close()
        await kernel.close()
        await metricsEndpoint?.stop()
    }

    /// With `--metrics-address`: the metrics system bootstrapped and served before anything reports.
    private func serveMetrics(_ application: ConsoleApplication, logger: Logger) async throws -> RunningMetricsEndpoint? {
        guard let metricsAddress, let address = MetricsAddress(metricsAddress) else { return nil }
        guard let exporter = application.metricsExporter else {
            throw ConsoleError("--metrics-address: this application has no metrics exporter (set ConsoleApplication.metricsExporter, e.g. to MessengerHTTP's PrometheusExporter())")
        }
        exporter.bootstrap()
        return try await exporter.serve(address, logger: logger)
    }
}

/// A graceful shutdown asked for by a signal: of the service group once it exists, at once if it
/// was asked for before.
final class ShutdownRequest: Sendable {
    private let state = Mutex<(group: ServiceGroup?, requested: Bool)>((nil, false))

    /// Runs `group` until its services end, shutting it down when asked.
    func run(_ group: ServiceGroup) async throws {
        let requested = state.withLock { state in
            state.group = group
            return state.requested
        }
        if requested { await group.triggerGracefulShutdown() }
        try await group.run()
    }

    func request() {
        guard let group = state.withLock({ state -> ServiceGroup? in
            state.requested = true
            return state.group
        }) else { return }
        Task { await group.triggerGracefulShutdown() }
    }
}
