import ArgumentParser
import Messenger

/// `messenger:failed:remove [ID...] [--all]`: deletes parked messages for good.
struct FailedRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messenger:failed:remove", abstract: "Remove messages from the failure transport.")

    @Argument(help: "The messages to remove.")
    var ids: [String] = []

    @Flag(help: "Remove every failed message.")
    var all = false

    @Flag(help: "Do not ask for confirmation.")
    var force = false

    @Option(help: "The failure transport (default: messenger.failure_transport).")
    var transport: String?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if ids.isEmpty && !all { throw ValidationError("name the messages to remove, or pass --all") }
        if !ids.isEmpty && all { throw ValidationError("pass either message ids or --all, not both") }
    }

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let (name, receiver) = try kernel.failureTransport(named: transport)
        var targets = ids
        if all {
            targets = try await receiver.list(limit: Int.max).compactMap { $0.last(TransportMessageIdStamp.self)?.id }
            guard !targets.isEmpty else { return print("No failed messages in \"\(name)\".") }
        }
        try Confirmation.require("Remove \(targets.count) failed message(s) from \"\(name)\" for good?", force: force)
        var (missing, held): ([String], [String]) = ([], [])
        for id in targets {
            switch try await receiver.remove(id: id) {
            case .removed: print("[OK] Message \(id) removed.")
            case .held: held.append(id)
            case .missing: missing.append(id)
            }
        }
        var problems: [String] = []
        if !held.isEmpty { problems.append("message \(held.joined(separator: ", ")) is being retried or handled by another process: not removed") }
        if !missing.isEmpty && !all { problems.append("no message with id \(missing.joined(separator: ", ")) in failure transport \"\(name)\"") }
        if !problems.isEmpty { throw MessengerError(.transportFailure, problems.joined(separator: "; ")) }
    }
}
