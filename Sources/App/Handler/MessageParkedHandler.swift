import Messenger

/// Reports every message parked in a failure transport as a technical error, one fingerprint per
/// message type and error type (so that a thousand parked fetches of one outage make one digest).
/// The reports and digests themselves are not reported when parked: their failure (the
/// application's database down, say) would otherwise report itself for ever; the worker's log
/// and the failure transport keep them.
struct MessageParkedHandler: MessageHandler {
    static let unreported: Set<String> = [ReportTechnicalError.messageName, SendTechnicalErrorDigest.messageName]

    func handle(_ parked: MessageParked, context: HandlerContext) async throws {
        guard !Self.unreported.contains(parked.messageType) else { return }
        let report = ReportTechnicalError(
            source: "worker \(parked.transport)",
            message: "\(parked.messageType) parked in \(parked.failureTransport) after \(parked.attempts) attempt(s): \(parked.errorType): \(parked.errorMessage)",
            fingerprint: ReportTechnicalError.fingerprint(source: "parked \(parked.transport)", message: "\(parked.messageType) \(parked.errorType)"))
        _ = try await context.bus.dispatch(report)
    }
}
