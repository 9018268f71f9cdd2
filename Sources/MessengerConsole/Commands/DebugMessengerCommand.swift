import ArgumentParser
import Messenger
import MessengerConfig

/// `debug:messenger`: every message type, its handlers, and where it is routed.
struct DebugMessengerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "debug:messenger", abstract: "List message types, their handlers and their routing.")

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    struct Row: Encodable {
        let message: String
        let swiftType: String
        let handlers: [String]
        let routedTo: [String]
    }

    struct Report: Encodable {
        let bus: String
        let messages: [Row]
    }

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let senders = SendersLocator(routing: kernel.configuration.routing, senders: [:])
        let rows = kernel.registry.types.values.sorted { $0.name < $1.name }.map { type in
            Row(message: type.name, swiftType: type.swiftType, handlers: kernel.registry.handlers(for: type.name).map(\.name),
                routedTo: senders.transportNames(forMessageName: type.name))
        }
        if format == .json { return try printJSON(Report(bus: kernel.bus.name, messages: rows)) }
        print("Bus: \(kernel.bus.name)\n")
        var table = TextTable("Message", "Handlers", "Routed to")
        for row in rows {
            table.add(row.message, row.handlers.isEmpty ? "(none)" : row.handlers.joined(separator: ", "),
                      row.routedTo.isEmpty ? "sync (handled when dispatched)" : row.routedTo.joined(separator: ", "))
        }
        print(table.render())
        let problems = kernel.routingProblems()
        if !problems.isEmpty { print("\nProblems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")) }
    }
}

