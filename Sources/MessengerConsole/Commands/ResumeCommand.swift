import ArgumentParser
import Messenger

/// `messenger:resume QUEUE`: workers claim from the queue again.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messenger:resume", abstract: "Resume a paused queue.")

    @Argument(help: "A queue name, or a transport name (its queue).")
    var queue: String

    @OptionGroup var verbosity: Verbosity

    func run() async throws {
        let name = try await PauseCommand.setPaused(false, queue: queue, verbosity: verbosity)
        print("[OK] Queue \(name) resumed.")
    }
}
