import Foundation
import Logging

/// Consumes receivers in priority order, hands each message to the bus, and acks, retries or parks it.
///
/// `run()` returns when a stop condition is met; `stop()` (from a signal handler, say) lets the message
/// in hand finish and be acknowledged, gives back the rest of the claimed batch, and returns.
public final class Worker: Sendable {
    let transports: [WorkerTransport]
    let bus: MessageBus
    let options: WorkerOptions
    let logger: Logger
    /// Used to decode again a parked message that was undecodable when stored.
    let serializer: (any Serializer)?
    let stopSignalStores: [any StopSignalStore]
    let latch = StopLatch()

    public init(
        transports: [WorkerTransport], bus: MessageBus, options: WorkerOptions = WorkerOptions(),
        logger: Logger = Logger(label: "messenger.worker"), serializer: (any Serializer)? = nil,
        stopSignalStores: [any StopSignalStore] = []
    ) {
        self.transports = transports
        self.bus = bus
        self.options = options
        self.logger = logger
        self.serializer = serializer
        self.stopSignalStores = stopSignalStores
    }

    /// Asks the worker to stop after the message in hand.
    public func stop() { latch.signal() }

    /// Runs until a stop condition is met; returns why it stopped.
    public func run() async -> WorkerStopReason {
        var state = WorkerRunState(options: options, startedAt: Date())
        let clock = ContinuousClock()
        let started = clock.now
        var consecutiveErrors = 0
        var lastBatchFrom: Int?
        logger.notice("Consuming messages from \(transports.map(\.name).joined(separator: ", "))")
        while true {
            if let reason = await checkStop(&state, runningFor: clock.now - started) { return await finish(reason, state: state) }
            var gotBatch = false
            var hadError = false
            for (index, transport) in transports.enumerated() {
                let batch: [Envelope]
                do {
                    batch = try await receive(from: transport, limit: state.sizer.current)
                } catch {
                    hadError = true
                    logger.error("Cannot receive from transport \(transport.name): \(error)", metadata: ["transport": .string(transport.name)])
                    continue
                }
                if batch.isEmpty { continue }
                if let previous = lastBatchFrom, previous != index { await flush(transports[previous]) }
                lastBatchFrom = index
                gotBatch = true
                let batchStart = clock.now
                let handled = await process(batch, from: transport, state: &state)
                let elapsed = clock.now - batchStart
                state.sizer.record(count: handled, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                break
            }
            if gotBatch {
                consecutiveErrors = 0
                continue
            }
            for transport in transports { await flush(transport) }
            if hadError {
                consecutiveErrors += 1
            } else {
                consecutiveErrors = 0
                if options.stopWhenEmpty { return await finish(.empty, state: state) }
            }
            // After errors, back off exponentially up to 30 s; otherwise poll every `sleep`.
            var backoff = consecutiveErrors > 0 ? min(Duration.seconds(30), options.sleep * (1 << min(consecutiveErrors - 1, 5))) : options.sleep
            if let limit = options.timeLimit { backoff = max(.zero, min(backoff, limit - (clock.now - started))) }
            await latch.wait(upTo: backoff)
        }
    }

    private func receive(from transport: WorkerTransport, limit: Int) async throws -> [Envelope] {
        if let queues = options.queues, let queueReceiver = transport.receiver as? any QueueReceiver {
            return try await queueReceiver.get(limit: limit, fromQueues: queues)
        }
        return try await transport.receiver.get(limit: limit)
    }

    /// Handles a claimed batch until done or told to stop; returns how many were handled.
    private func process(_ batch: [Envelope], from transport: WorkerTransport, state: inout WorkerRunState) async -> Int {
        var handled = 0
        for (index, envelope) in batch.enumerated() {
            if latch.isSignalled || state.reachedLimit {
                await release(Array(batch[index...]), to: transport)
                return handled
            }
            let succeeded = await handle(envelope, from: transport)
            handled += 1
            state.handled += 1
            if !succeeded { state.failed += 1 }
        }
        return handled
    }

    private func release(_ envelopes: [Envelope], to transport: WorkerTransport) async {
        do {
            try await transport.receiver.release(envelopes)
        } catch {
            logger.warning("Cannot give back \(envelopes.count) unhandled message(s) to \(transport.name); they will be delivered again after the redeliver timeout: \(error)")
        }
    }

    private func flush(_ transport: WorkerTransport) async {
        do {
            try await transport.receiver.flush()
        } catch {
            logger.error("Cannot flush acknowledgements to \(transport.name); those messages will be delivered again: \(error)")
        }
    }

    private func checkStop(_ state: inout WorkerRunState, runningFor elapsed: Duration) async -> WorkerStopReason? {
        if latch.isSignalled { return .stopRequested }
        if let limit = options.limit, state.handled >= limit { return .messageLimit }
        if let limit = options.failureLimit, state.failed >= limit { return .failureLimit }
        if let limit = options.timeLimit, elapsed >= limit { return .timeLimit }
        if let limit = options.memoryLimitBytes, let used = ProcessMemory.residentBytes(), used > limit {
            logger.warning("Worker memory \(used / 1_048_576) MiB exceeds the limit of \(limit / 1_048_576) MiB")
            return .memoryLimit
        }
        if await stopWorkersRequested(&state) { return .stopWorkersCommand }
        return nil
    }

    /// Reads the shared stop signal at most once a second.
    private func stopWorkersRequested(_ state: inout WorkerRunState) async -> Bool {
        guard !stopSignalStores.isEmpty, Date().timeIntervalSince(state.lastStopSignalCheck) >= 1 else { return false }
        state.lastStopSignalCheck = Date()
        for store in stopSignalStores {
            do {
                if let requested = try await store.lastStopRequest(), requested >= state.startedAt { return true }
            } catch {
                logger.warning("Cannot read the stop-workers signal: \(error)")
            }
        }
        return false
    }

    private func finish(_ reason: WorkerStopReason, state: WorkerRunState) async -> WorkerStopReason {
        for transport in transports { await flush(transport) }
        logger.notice("Worker stopped (\(reason.rawValue)) after handling \(state.handled) message(s), \(state.failed) failed")
        return reason
    }
}

/// What a running worker has counted so far.
struct WorkerRunState {
    var handled = 0
    var failed = 0
    var sizer: BatchSizer
    let startedAt: Date
    var lastStopSignalCheck = Date.distantPast
    let limit: Int?

    init(options: WorkerOptions, startedAt: Date) {
        sizer = BatchSizer(maximum: options.maxBatchSize)
        self.startedAt = startedAt
        limit = options.limit
    }

    var reachedLimit: Bool { limit.map { handled >= $0 } ?? false }
}
