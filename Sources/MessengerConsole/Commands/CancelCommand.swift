import ArgumentParser
import Messenger

/// `messenger:cancel ID`: removes a waiting message, or asks the worker running it to stop.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messenger:cancel", abstract: "Cancel a message: removed if it waits; stopped by its worker (within a quarter of a second) if it runs.",
        discussion: "A handler stops at its next cancellation check (Task.isCancelled, try Task.checkCancellation()); one that finishes anyway ends completed. A finished message is left as it is."
    )

    @Argument(help: "The message's id (what dispatch printed).")
    var id: String

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    struct Result: Encodable {
        let id: String
        let outcome: String
        let status: String
    }

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let (_, store) = try await kernel.record(id: id)
        let result: Result
        switch try await store.cancel(id: id) {
        case .cancelled: result = Result(id: id, outcome: "cancelled", status: "cancelled")
        case .cancelling: result = Result(id: id, outcome: "cancelling", status: "running")
        case .alreadyFinished(let status): result = Result(id: id, outcome: "already_finished", status: status.rawValue)
        case .missing: throw MessengerError(.transportFailure, "no message with id \(id)")
        }
        if format == .json { return try printJSON(result) }
        switch result.outcome {
        case "cancelled": print("[OK] Message \(id) cancelled: it was waiting and has been removed.")
        case "cancelling": print("[OK] Message \(id) is running: its worker was asked to stop it (see messenger:status \(id) --watch).")
        default: print("[OK] Message \(id) had already finished (\(result.status)); nothing to cancel.")
        }
    }
}
