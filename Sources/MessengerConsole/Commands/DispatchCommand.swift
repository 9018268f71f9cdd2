import ArgumentParser
import Foundation
import Messenger

/// `messenger:dispatch TYPE JSON`: sends a message from a shell or a cron line.
struct DispatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messenger:dispatch",
        abstract: "Dispatch a message given as its type and JSON body.",
        discussion: "Example: app messenger:dispatch Messenger.Probe '{\"label\": \"smoke\"}' --delay 60"
    )

    @Argument(help: "The message's wire name (see debug:messenger).")
    var type: String

    @Argument(help: "The message as JSON; - reads it from standard input.")
    var json: String

    @Option(help: "Make the message available only after this many seconds.")
    var delay: Double?

    @Option(help: "Hand it out before the queue's others: 0 (default) to 100, each level worth the transport's priority_aging of waiting (60 s).")
    var priority: Int?

    @Option(help: "Put it in an ordered group (e.g. a student's id): a group's messages run one at a time, in dispatch order, on every worker.")
    var group: String?

    @Option(help: "Send to this transport instead of the routed ones (repeatable).")
    var transport: [String] = []

    @Option(help: "Do not store it while a message with this key is pending (waiting to be handled).")
    var deduplicate: String?

    @Flag(help: "With --deduplicate: pending also while a worker handles it.")
    var whileHandling = false

    @Flag(help: "With --deduplicate and --delay: a pending message with the key is moved to this one's due time instead.")
    var debounce = false

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    struct Result: Encodable {
        /// The message's public id (the pending one's when deduplicated) and status, to poll.
        let id: String?
        let status: String
        let type: String
        let sentTo: [String]
        let ids: [String]
        let handledBy: [String]
        /// The pending message that made this one a duplicate, and whether its due time moved.
        let duplicateOf: String?
        let debounced: Bool
    }

    func run() async throws {
        if let delay, delay < 0 { throw ValidationError("--delay cannot be negative") }
        if let priority, !(0...PriorityStamp.highest).contains(priority) { throw ValidationError("--priority must be from 0 to \(PriorityStamp.highest), got \(priority)") }
        if let group, group.isEmpty || group.unicodeScalars.count > GroupStamp.maximumLength { throw ValidationError("--group must be 1 to \(GroupStamp.maximumLength) characters") }
        if deduplicate == nil && (whileHandling || debounce) { throw ValidationError("--while-handling and --debounce go with --deduplicate KEY") }
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let body = json == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : json
        let message = try kernel.serializer.decodeMessage(named: type, json: body)
        var stamps: [any Stamp] = []
        if let delay { stamps.append(DelayStamp(milliseconds: Int(delay * 1000))) }
        if let deduplicate { stamps.append(DeduplicateStamp(deduplicate, whileHandling: whileHandling, debounce: debounce)) }
        if let priority, priority > 0 { stamps.append(PriorityStamp(priority)) }
        if let group { stamps.append(GroupStamp(group)) }
        if !transport.isEmpty {
            for name in transport { _ = try kernel.transport(named: name) }
            stamps.append(TransportNamesStamp(transport))
        }
        let envelope = try await kernel.bus.dispatch(Envelope(message, stamps: stamps))
        await kernel.close()
        let deduplicated = envelope.last(DeduplicatedStamp.self)
        let status = deduplicated?.existingStatus ?? MessageStatus.dispatched(envelope)
        let result = Result(
            id: deduplicated.map { $0.existingId } ?? envelope.messageId, status: status.rawValue, type: type, sentTo: envelope.all(SentStamp.self).map(\.transportName),
            ids: envelope.all(TransportMessageIdStamp.self).map(\.id), handledBy: envelope.all(HandledStamp.self).map(\.handlerName),
            duplicateOf: envelope.last(DeduplicatedStamp.self).map { $0.existingMessageId ?? "?" }, debounced: envelope.last(DeduplicatedStamp.self)?.debounced ?? false
        )
        if format == .json { return try printJSON(result) }
        if let pending = result.duplicateOf {
            print("[OK] \(type) not stored: message \(result.id ?? pending) with key \(deduplicate ?? "") is already \(result.status)\(result.debounced ? " (its due time moved to this one's)" : "").")
        } else if result.sentTo.isEmpty {
            print("[OK] \(type) handled now by \(result.handledBy.joined(separator: ", ")).")
        } else {
            print("[OK] \(type) sent to \(result.sentTo.joined(separator: ", ")) (id \(result.id ?? "-"), \(result.status); row \(result.ids.joined(separator: ", "))).")
        }
    }
}
