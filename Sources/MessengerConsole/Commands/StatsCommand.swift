import ArgumentParser
import Messenger

/// `messenger:stats`: how many messages each transport holds, by state, and the age of the oldest.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messenger:stats", abstract: "Show the message count of each transport.")

    @Argument(help: "Transports to show (default: all that store messages).")
    var transports: [String] = []

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    struct Row: Encodable {
        let transport: String
        let statistics: TransportStatistics?
        let error: String?
        /// Its queue is paused (`messenger:pause`).
        var paused = false
        /// The transport could not be read (as opposed to not counting messages at all).
        var failed = false

        private enum CodingKeys: String, CodingKey { case transport, statistics, error, paused }
    }

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let names = transports.isEmpty ? kernel.storingTransportNames : transports
        var rows: [Row] = []
        for name in names {
            guard let counting = try kernel.transport(named: name) as? any MessageCountingTransport else {
                rows.append(Row(transport: name, statistics: nil, error: "cannot count its messages"))
                continue
            }
            do {
                var row = Row(transport: name, statistics: try await counting.statistics(), error: nil)
                if let control = counting as? any QueuePauseControl { row.paused = try await control.pausedQueues().contains(control.queueName) }
                rows.append(row)
            } catch {
                rows.append(Row(transport: name, statistics: nil, error: String(describing: error), failed: true))
            }
        }
        if format == .json { return try printJSON(rows) }
        var table = TextTable("Transport", "Total", "Ready", "Delayed", "In flight", "Oldest", "Paused")
        for row in rows {
            if let s = row.statistics {
                // Estimates (a queue too large to count at once) are marked with a tilde.
                let about = s.estimated ? "~" : ""
                table.add(row.transport, "\(about)\(s.total)", "\(about)\(s.ready)", "\(about)\(s.delayed)", "\(s.inFlight)",
                          s.oldestAgeSeconds.map(Formatting.age) ?? "-", row.paused ? "yes" : "no")
            } else {
                table.add(row.transport, "-", "-", "-", "-", row.error ?? "", "-")
            }
        }
        print(table.render())
        if rows.contains(where: \.failed) {
            throw ExitCode(1)
        }
    }
}
