import ArgumentParser
import Foundation
import Messenger

/// `messenger:failed:retry [ID...]`: handles parked messages again, here and now.
///
/// A message that succeeds is removed; one that fails again goes back to the failure transport with
/// its new error.
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
        var envelopes: [Envelope] = []
        if ids.isEmpty {
            envelopes = try await receiver.list(limit: Int.max)
            guard !envelopes.isEmpty else { return print("No failed messages in \"\(name)\".") }
            try Confirmation.require("Retry all \(envelopes.count) failed message(s)?", force: force)
        } else {
            for id in ids {
                guard let envelope = try await receiver.find(id: id) else {
                    throw MessengerError(.transportFailure, "no message with id \(id) in failure transport \"\(name)\"")
                }
                envelopes.append(envelope)
            }
        }
        let worker = Worker(transports: [], bus: kernel.bus, logger: logger, serializer: kernel.serializer)
        let target = WorkerTransport(
            name: name, receiver: RemoveByIdReceiver(base: receiver), retrySender: receiver,
            retryStrategy: MultiplierRetryStrategy(maxRetries: 0),
            failureDestination: .init(name: name, sender: receiver)
        )
        var failed = 0
        for envelope in envelopes {
            let id = envelope.last(TransportMessageIdStamp.self)?.id ?? "?"
            let retry = envelope.with(RedeliveryStamp(retryCount: (envelope.last(RedeliveryStamp.self)?.retryCount ?? 0) + 1))
            if await worker.handleOne(retry, from: target) {
                print("[OK] Message \(id) (\(envelope.messageName)) handled and removed.")
            } else {
                failed += 1
                print("[FAILED] Message \(id) (\(envelope.messageName)) failed again; it is back in \"\(name)\" with its new error.")
            }
        }
        await kernel.close()
        if failed > 0 { throw ExitCode(1) }
    }
}

/// Acks and rejects by removing the row by id: for messages looked up, not claimed.
struct RemoveByIdReceiver: Receiver {
    let base: any ListableReceiver

    func get(limit: Int) async throws -> [Envelope] { [] }
    func ack(_ envelope: Envelope) async throws { try await remove(envelope) }
    func reject(_ envelope: Envelope) async throws { try await remove(envelope) }

    private func remove(_ envelope: Envelope) async throws {
        guard let id = envelope.last(TransportMessageIdStamp.self)?.id else { return }
        _ = try await base.remove(id: id)
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
