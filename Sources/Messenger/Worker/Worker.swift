import Foundation
import Logging
import Synchronization

/// Consumes receivers in priority order, hands each message to the bus, and acks, retries or parks it.
///
/// Up to `concurrency` handlers run at once; claimed messages wait in a small local queue sized to the
/// handlers' speed. `run()` returns when a stop condition is met; `stop()` (from a signal handler, say)
/// lets the handlers in progress finish and be acknowledged, gives back the messages not yet started,
/// and returns.
public final class Worker: Sendable {
    let transports: [WorkerTransport]
    let bus: MessageBus
    let options: WorkerOptions
    let logger: Logger
    /// Used to decode again a parked message that was undecodable when stored.
    let serializer: (any Serializer)?
    let stopSignalStores: [any StopSignalStore]
    let latch = StopLatch()
    let wake = WakeSignal()
    let digest = FailureDigest()
    /// The messages being handled now (progress, cancellations).
    let inHand = InHandMessages()
    /// Handled and failed so far, for the worker's record.
    let tally = Mutex((handled: 0, failed: 0))
    /// What the worker reports through swift-metrics.
    let metrics = WorkerMetrics()
    /// Whether a tracer was bootstrapped before the worker was made: each attempt is a span then.
    let tracing = MessagingSpan.isTracing

    /// A worker consuming `transports` (highest priority first) through `bus`; `serializer` decodes again a message that was undecodable when stored; `stopSignalStores` are read for `messenger:stop-workers`.
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

    /// Asks the worker to stop after the messages in hand.
    public func stop() { latch.signal() }

    private enum Outcome: Sendable {
        case handled(succeeded: Bool)
        case tick
    }

    /// Runs until a stop condition is met; returns why it stopped. Meanwhile a heartbeat records the
    /// worker, writes its handlers' progress and looks for cancellations (`Worker+Heartbeat`).
    public func run() async -> WorkerStopReason {
        let heartbeat = Heartbeat(worker: self)
        await heartbeat.beat(recording: true)
        let reason = await withTaskGroup(of: WorkerStopReason?.self) { group in
            group.addTask { await heartbeat.run(); return nil }
            // Apart from the beats and the claims: a long pass delays neither.
            group.addTask { await heartbeat.runPruning(); return nil }
            let reason = await consume()
            group.cancelAll()
            return reason
        }
        await heartbeat.stopped()
        return reason
    }

    private func consume() async -> WorkerStopReason {
        for transport in transports {
            if let source = transport.receiver as? any WakeUpSource {
                await source.startWakeUps { [wake] in wake.signal() }
            }
        }
        logger.notice("Consuming messages from \(transports.map(\.name).joined(separator: ", "))")
        return await withTaskGroup(of: Outcome.self) { group in
            var loop = WorkerLoopState(options: options)
            func record(_ outcome: Outcome?) {
                switch outcome {
                case .handled(let succeeded):
                    loop.running -= 1
                    loop.run.handled += 1
                    if !succeeded { loop.run.failed += 1 }
                    tally.withLock { $0 = (loop.run.handled, loop.run.failed) }
                case .tick: loop.tickPending = false
                case nil: break
                }
            }
            /// Waits for a handler to finish, a wake-up, a stop, or the idle wait (computed, with its
            /// queries, only when no earlier wait is still pending).
            func waitForWork() async {
                if !loop.tickPending {
                    let duration = await idleWait(loop)
                    loop.tickPending = true
                    group.addTask { [latch, wake] in
                        await latch.wait(upTo: duration, orWake: wake)
                        return .tick
                    }
                }
                record(await group.next())
            }

            while true {
                if let reason = await checkStop(&loop) {
                    await release(loop.takePending())
                    wake.signal()
                    while loop.running > 0 || loop.tickPending { record(await group.next()) }
                    return await finish(reason, loop.run)
                }
                // Start what the free slots allow.
                while loop.running < options.concurrency, !loop.pending.isEmpty, !loop.reachedLimit {
                    let (envelope, index) = loop.pending.removeFirst()
                    let transport = transports[index]
                    if transport.receiver.isClaimLost(envelope) {
                        logger.warning("Not starting message \(envelope.last(TransportMessageIdStamp.self)?.id ?? "?"): another worker took it while this one's connection was down",
                                       metadata: ["transport": .string(transport.name), "message.type": .string(envelope.messageName)])
                        continue
                    }
                    loop.running += 1
                    loop.started += 1
                    group.addTask { .handled(succeeded: await self.handle(envelope, from: transport)) }
                }
                if !loop.pending.isEmpty || loop.reachedLimit || loop.running >= options.concurrency {
                    // Every slot is busy (or the limit is reached): the next thing to do is a handler finishing.
                    record(await group.next())
                    continue
                }
                // Every claimed message has started: claim more, first receivers first.
                digest.summarize(to: logger)
                var hadError = false
                var claimed = false
                for (index, transport) in transports.enumerated() {
                    let limit = max(loop.sizer.current, options.concurrency - loop.running)
                    let batch: [Envelope]
                    do {
                        batch = try await receive(from: transport, limit: limit)
                    } catch {
                        hadError = true
                        logger.error("Cannot receive from transport \(transport.name): \(error)", metadata: ["transport": .string(transport.name)])
                        continue
                    }
                    if batch.isEmpty { continue }
                    if let previous = loop.lastReceiver, previous != index { await flush(transports[previous]) }
                    loop.lastReceiver = index
                    loop.claimed(batch, from: index)
                    claimed = true
                    break
                }
                if claimed {
                    loop.consecutiveErrors = 0
                    continue
                }
                loop.idle()
                for transport in transports { await flush(transport) }
                loop.consecutiveErrors = hadError ? loop.consecutiveErrors + 1 : 0
                if loop.running > 0 {
                    // Wait for a handler to finish, or for new messages: a free slot never idles.
                    await waitForWork()
                    continue
                }
                if !hadError && options.stopWhenEmpty {
                    wake.signal()
                    while loop.tickPending { record(await group.next()) }
                    return await finish(.empty, loop.run)
                }
                await waitForWork()
            }
        }
    }

    private func receive(from transport: WorkerTransport, limit: Int) async throws -> [Envelope] {
        if let queues = options.queues, let queueReceiver = transport.receiver as? any QueueReceiver {
            return try await queueReceiver.get(limit: limit, fromQueues: queues)
        }
        return try await transport.receiver.get(limit: limit)
    }

    /// How long an idle worker waits: `--sleep`, or longer while wake-ups work; never past the next
    /// delayed message or the time limit; longer after consecutive errors (up to 30 s).
    private func idleWait(_ loop: WorkerLoopState) async -> Duration {
        if loop.consecutiveErrors > 0 {
            return capped(min(Duration.seconds(30), options.sleep * (1 << min(loop.consecutiveErrors - 1, 5))), loop)
        }
        var wait = options.sleep
        let listening = transports.map { ($0.receiver as? any WakeUpSource)?.idleWaitWhileListening }
        if !listening.isEmpty, listening.allSatisfy({ $0 != nil }) { wait = max(wait, listening.compactMap { $0 }.min() ?? wait) }
        for transport in transports {
            guard let delayAware = transport.receiver as? any DelayAwareReceiver,
                  let due = try? await delayAware.nextAvailableDate() else { continue }
            let seconds = max(0, due.timeIntervalSinceNow)
            wait = min(wait, .milliseconds(Int(seconds * 1000) + 1))
        }
        return capped(wait, loop)
    }

    private func capped(_ wait: Duration, _ loop: WorkerLoopState) -> Duration {
        guard let limit = options.timeLimit else { return wait }
        return max(.zero, min(wait, limit - (ContinuousClock.now - loop.startedAt)))
    }

    private func release(_ pending: [(Envelope, Int)]) async {
        for (index, transport) in transports.enumerated() {
            let envelopes = pending.filter { $0.1 == index }.map(\.0)
            guard !envelopes.isEmpty else { continue }
            do {
                try await transport.receiver.release(envelopes)
            } catch {
                logger.warning("Cannot give back \(envelopes.count) unhandled message(s) to \(transport.name); they will be delivered again after the redeliver timeout: \(error)")
            }
        }
    }

    private func flush(_ transport: WorkerTransport) async {
        do {
            try await transport.receiver.flush()
        } catch {
            // The transports keep what they could not write, for their next claim or flush.
            logger.error("Cannot write the acknowledgements to \(transport.name) yet; they are kept and written with the next claim (if this worker stops first, those messages are delivered again): \(error)")
        }
    }

    private func checkStop(_ loop: inout WorkerLoopState) async -> WorkerStopReason? {
        if latch.isSignalled { return .stopRequested }
        if let limit = options.limit, loop.run.handled >= limit { return .messageLimit }
        if let limit = options.failureLimit, loop.run.failed >= limit { return .failureLimit }
        if let limit = options.timeLimit, ContinuousClock.now - loop.startedAt >= limit { return .timeLimit }
        if let limit = options.memoryLimitBytes, let used = ProcessMemory.residentBytes(), used > limit {
            logger.warning("Worker memory \(used / 1_048_576) MiB exceeds the limit of \(limit / 1_048_576) MiB")
            return .memoryLimit
        }
        if await stopWorkersRequested(&loop) { return .stopWorkersCommand }
        return nil
    }

    /// Reads the shared stop signal at most once a second.
    private func stopWorkersRequested(_ loop: inout WorkerLoopState) async -> Bool {
        guard !stopSignalStores.isEmpty, Date().timeIntervalSince(loop.lastStopSignalCheck) >= 1 else { return false }
        loop.lastStopSignalCheck = Date()
        for store in stopSignalStores {
            do {
                if let requested = try await store.lastStopRequest(), requested >= loop.startDate { return true }
            } catch {
                logger.warning("Cannot read the stop-workers signal: \(error)")
            }
        }
        return false
    }

    private func finish(_ reason: WorkerStopReason, _ counts: WorkerLoopState.Counts) async -> WorkerStopReason {
        digest.summarize(to: logger)
        for transport in transports { await flush(transport) }
        logger.notice("Worker stopped (\(reason.rawValue)) after handling \(counts.handled) message(s), \(counts.failed) failed")
        return reason
    }
}
