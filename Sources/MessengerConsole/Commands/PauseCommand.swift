import ArgumentParser
import Messenger

/// `messenger:pause QUEUE`: every worker of the queue, on any host, stops claiming from it.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messenger:pause", abstract: "Pause a queue: workers stop claiming from it (messages in hand finish); dispatch keeps storing.")

    @Argument(help: "A queue name, or a transport name (its queue).")
    var queue: String

    @OptionGroup var verbosity: Verbosity

    func run() async throws {
        let name = try await Self.setPaused(true, queue: queue, verbosity: verbosity)
        print("[OK] Queue \(name) paused: no worker claims from it until messenger:resume \(name).")
    }

    /// Pauses or resumes a queue in every database that stores it; returns the queue's name.
    static func setPaused(_ paused: Bool, queue: String, verbosity: Verbosity) async throws -> String {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let (name, controls) = try kernel.pauseControls(forQueue: queue)
        for control in controls {
            if paused { try await control.pause(queue: name) } else { try await control.resume(queue: name) }
        }
        return name
    }
}
