import ArgumentParser
import Messenger

/// `messenger:failed:show [ID]`: lists parked messages, or shows one in full.
struct FailedShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messenger:failed:show", abstract: "Show messages parked in the failure transport.")

    @Argument(help: "Show this message in full.")
    var id: String?

    @Option(help: "Show at most this many messages.")
    var max = 50

    @Flag(help: "Count the parked messages by type instead of listing them.")
    var stats = false

    @Option(help: "The failure transport to read (default: messenger.failure_transport).")
    var transport: String?

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let (name, receiver) = try kernel.failureTransport(named: transport)
        if let id {
            guard let envelope = try await receiver.find(id: id) else {
                throw MessengerError(.transportFailure, "no message with id \(id) in failure transport \"\(name)\"")
            }
            let view = FailedMessageView(envelope, serializer: kernel.serializer, withBody: true)
            if format == .json { return try printJSON(view) }
            var table = TextTable("Field", "Value")
            table.add("Id", view.id)
            table.add("Type", view.type)
            table.add("Failed at", view.failedAt.map(Formatting.date) ?? "-")
            table.add("Error type", view.errorType ?? "-")
            table.add("Error", view.error ?? "-")
            table.add("Where", view.location ?? "-")
            table.add("From transport", view.originalTransport ?? "-")
            table.add("Retries", "\(view.retries)")
            print(table.render())
            print("\nMessage:\n\(view.body ?? "")")
            return
        }
        let envelopes = try await receiver.list(limit: stats ? Int.max : Swift.max(1, max))
        let views = envelopes.map { FailedMessageView($0, serializer: kernel.serializer, withBody: false) }
        if stats {
            let counts = Dictionary(grouping: views, by: \.type).mapValues(\.count).sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            if format == .json { return try printJSON(Dictionary(uniqueKeysWithValues: counts.map { ($0.key, $0.value) })) }
            var table = TextTable("Message type", "Count")
            for (type, count) in counts { table.add(type, "\(count)") }
            print(table.render())
            print("\n\(views.count) message(s) in failure transport \"\(name)\".")
            return
        }
        if format == .json { return try printJSON(views) }
        if views.isEmpty { return print("No failed messages in \"\(name)\".") }
        var table = TextTable("Id", "Type", "Failed at", "Error")
        for view in views {
            table.add(view.id, view.type, view.failedAt.map(Formatting.date) ?? "-", Formatting.short(view.error ?? "-", 80))
        }
        print(table.render())
        print("\nRun messenger:failed:show ID for the details, messenger:failed:retry ID to handle it again.")
    }
}
