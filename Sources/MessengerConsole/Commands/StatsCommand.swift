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

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let rows = try await kernel.transportOverviews(transports.isEmpty ? nil : transports)
        if format == .json { return try printJSON(rows) }
        var table = TextTable("Transport", "Total", "Ready", "Delayed", "In flight", "Oldest", "Held back", "Paused")
        for row in rows {
            if let s = row.statistics {
                // Estimates (a queue too large to count at once) are marked with a tilde.
                let about = s.estimated ? "~" : ""
                table.add(row.transport, "\(about)\(s.total)", "\(about)\(s.ready)", "\(about)\(s.delayed)", "\(s.inFlight)",
                          s.oldestAgeSeconds.map(Formatting.age) ?? "-", row.heldBack?.summary ?? "-", row.paused ? "yes" : "no")
            } else {
                table.add(row.transport, "-", "-", "-", "-", row.error ?? "", "-", "-")
            }
        }
        print(table.render())
        if rows.contains(where: { ($0.heldBack?.total ?? 0) > 0 }) {
            print("Held back: ready messages waiting on their ordered group, a full concurrency limit or a spent rate (limits: in config/messenger.yaml).")
        }
        if rows.contains(where: \.failed) {
            throw ExitCode(1)
        }
    }
}
