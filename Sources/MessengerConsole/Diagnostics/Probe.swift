#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Messenger

/// `Messenger.Probe`: a message that checks the whole pipeline end to end, from a shell:
/// `app messenger:dispatch Messenger.Probe '{"label": "smoke"}'`, then watch a worker log it.
///
/// It can also wait and fail on purpose, to see retries and the failure transport at work in staging.
public struct Probe: Message, Equatable {
    public static let messageName = "Messenger.Probe"
    /// Shown in the log lines, to find the probe again.
    public var label: String
    /// How long the handler works, at most one hour.
    public var sleepMilliseconds: Int?
    /// The first attempts that fail on purpose (1 fails the first attempt only).
    public var failAttempts: Int?
    /// Fail with an unrecoverable error instead of a plain one.
    public var unrecoverable: Bool?
    /// Only the first deliveries of the stored message sleep (a handler that hangs until its worker
    /// is killed, then runs through on the next worker); all of them when nil.
    public var slowDeliveries: Int?
    /// How long the handler blocks its thread, as synchronous code (blocking I/O, heavy computation)
    /// would, at most one hour: a worker whose handlers hold every thread must stay alive.
    public var blockMilliseconds: Int?
    /// A file the handler appends `start LABEL MICROSECONDS PID` and `end …` lines to (wall clock),
    /// so that when and where probes ran can be checked from outside (limits, groups, overlaps).
    public var journal: String?

    /// A probe labelled `label`; the other values make it slow, failing or crash-prone on purpose.
    public init(label: String, sleepMilliseconds: Int? = nil, failAttempts: Int? = nil, unrecoverable: Bool? = nil, slowDeliveries: Int? = nil,
                journal: String? = nil, blockMilliseconds: Int? = nil) {
        self.label = label
        self.blockMilliseconds = blockMilliseconds
        self.sleepMilliseconds = sleepMilliseconds
        self.failAttempts = failAttempts
        self.unrecoverable = unrecoverable
        self.slowDeliveries = slowDeliveries
        self.journal = journal
    }
}

/// The error a probe fails with on purpose.
public struct ProbeFailure: Error, CustomStringConvertible {
    /// The probe's label.
    public let label: String
    /// The attempt that failed.
    public let attempt: Int
    public var description: String { "probe \(label) failed on purpose (attempt \(attempt))" }
}

/// What a handled probe returns (its status record's result).
public struct ProbeResult: Codable, Sendable, Equatable {
    /// The probe's label.
    public let label: String
    /// The attempt that succeeded.
    public let attempt: Int
    /// How long it slept.
    public let sleptMilliseconds: Int
}

/// Logs the probe at `notice` level when it starts and when it is done; while it sleeps it reports
/// its progress (a tenth of a second at a time), and a cancellation ends the sleep at once.
public struct ProbeHandler: MessageHandler {
    /// The handler.
    public init() {}

    public func handle(_ probe: Probe, context: HandlerContext) async throws -> ProbeResult {
        let metadata: [String: Logging.Logger.MetadataValue] = ["probe.label": .string(probe.label), "probe.attempt": .stringConvertible(context.attempt)]
        context.logger.notice("Probe started", metadata: metadata)
        ProbeJournal.append("start", probe)
        let delivery = context.envelope.last(DeliveryCountStamp.self)?.count ?? 1
        let sleeps = probe.slowDeliveries.map { delivery <= $0 } ?? true
        let total = sleeps ? min(max(probe.sleepMilliseconds ?? 0, 0), 3_600_000) : 0
        var slept = 0
        while slept < total {
            let step = min(100, total - slept)
            try await Task.sleep(for: .milliseconds(step))
            slept += step
            context.progress(Double(slept) / Double(total), "slept \(slept) of \(total) ms")
        }
        var blocked = 0
        while blocked < min(sleeps ? probe.blockMilliseconds ?? 0 : 0, 3_600_000) {
            usleep(100_000)
            blocked += 100
        }
        if context.attempt <= (probe.failAttempts ?? 0) {
            let failure = ProbeFailure(label: probe.label, attempt: context.attempt)
            if probe.unrecoverable == true { throw UnrecoverableMessageError(failure.description) }
            throw failure
        }
        ProbeJournal.append("end", probe)
        context.logger.notice("Probe handled", metadata: metadata)
        return ProbeResult(label: probe.label, attempt: context.attempt, sleptMilliseconds: slept)
    }
}

import Logging

/// Appends one line per event to a probe's journal file, in one `write` on a descriptor opened with
/// `O_APPEND`, so that lines from concurrent handlers and processes never interleave.
enum ProbeJournal {
    static func append(_ event: String, _ probe: Probe) {
        guard let path = probe.journal else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let microseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
        let line = "\(event) \(probe.label) \(microseconds) \(getpid())\n"
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = line.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
    }
}
