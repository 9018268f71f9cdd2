import ArgumentParser
import Foundation
import Messenger

/// `messenger:failed:retry [ID...]`: handles parked messages again, here and now.
///
/// Each message is claimed first, so that two operators (or a command and the HTTP API) never retry
/// the same one twice: the second is told it is already being retried. A message that succeeds is
/// removed; one that fails again goes back to the failure transport with its new error, in the same
/// transaction as the removal of the old row.
struct FailedRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messenger:failed:retry", abstract: "Handle messages from the failure transport again.")

    @Argument(help: "The messages to retry (default: all).")
    var ids: [String] = []

    @Flag(help: "Do not ask for confirmation.")
    var force = false

    @Option(help: "The failure transport (default: messenger.failure_transport).")
    var transport: String?

    @OptionGroup var verbosity: Verbosity

    func run() async throws {
        let logger = verbosity.logger("messenger.console")
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: logger)
        let (name, receiver) = try kernel.failureTransport(named: transport)
        var targets = ids
        if ids.isEmpty {
            targets = try await receiver.list(limit: Int.max).compactMap { $0.last(TransportMessageIdStamp.self)?.id }
            guard !targets.isEmpty else { return print("No failed messages in \"\(name)\".") }
            try Confirmation.require("Retry all \(targets.count) failed message(s)?", force: force)
        }
        var (failed, skipped) = (0, 0)
        for id in targets {
            switch try await kernel.retryFailed(id: id, in: name, logger: logger) {
            case .missing:
                skipped += 1
                print("[SKIPPED] No message with id \(id) in \"\(name)\" (removed, or retried already).")
            case .held:
                skipped += 1
                print("[SKIPPED] Message \(id) is being retried or handled by another process; it was left alone.")
            case .handled(let type):
                print("[OK] Message \(id) (\(type)) handled and removed.")
            case .failedAgain(let type):
                failed += 1
                print("[FAILED] Message \(id) (\(type)) failed again; it is back in \"\(name)\" with its new error.")
            }
        }
        await kernel.close()
        // Messages named on the command line that were not retried are an error; with "all", a
        // message another process retries meanwhile is not.
        if failed > 0 || (!ids.isEmpty && skipped > 0) { throw ExitCode(1) }
    }
}

/// Asks the operator on a terminal; refuses without one unless forced.
enum Confirmation {
    static func require(_ question: String, force: Bool) throws {
        if force { return }
        guard isatty(STDIN_FILENO) != 0 else {
            throw ConsoleError("\(question) Standard input is not a terminal: pass --force to confirm.")
        }
        print("\(question) [y/N] ", terminator: "")
        guard let answer = readLine()?.lowercased(), answer == "y" || answer == "yes" else { throw ExitCode(1) }
    }
}
