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

    public init(label: String, sleepMilliseconds: Int? = nil, failAttempts: Int? = nil, unrecoverable: Bool? = nil) {
        self.label = label
        self.sleepMilliseconds = sleepMilliseconds
        self.failAttempts = failAttempts
        self.unrecoverable = unrecoverable
    }
}

/// The error a probe fails with on purpose.
public struct ProbeFailure: Error, CustomStringConvertible {
    public let label: String
    public let attempt: Int
    public var description: String { "probe \(label) failed on purpose (attempt \(attempt))" }
}

/// Logs the probe at `notice` level when it starts and when it is done.
public struct ProbeHandler: MessageHandler {
    public init() {}

    public func handle(_ probe: Probe, context: HandlerContext) async throws {
        let metadata: [String: Logging.Logger.MetadataValue] = ["probe.label": .string(probe.label), "probe.attempt": .stringConvertible(context.attempt)]
        context.logger.notice("Probe started", metadata: metadata)
        if let sleep = probe.sleepMilliseconds, sleep > 0 { try await Task.sleep(for: .milliseconds(min(sleep, 3_600_000))) }
        if context.attempt <= (probe.failAttempts ?? 0) {
            let failure = ProbeFailure(label: probe.label, attempt: context.attempt)
            if probe.unrecoverable == true { throw UnrecoverableMessageError(failure.description) }
            throw failure
        }
        context.logger.notice("Probe handled", metadata: metadata)
    }
}

import Logging
