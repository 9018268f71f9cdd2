import ArgumentParser
import Foundation
import Messenger
import MessengerConsole

/// `dashboard:token NAME --role …`: creates an API token for a program (sent as
/// `Authorization: Bearer …`) and prints it once; only its digest is kept.
struct DashboardTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard:token", abstract: "Create an API token (printed once) for the HTTP API."
    )

    @Argument(help: "What the token is for (e.g. web-frontend).")
    var name: String

    @Option(help: "viewer (reads) or admin (also dispatches, retries, cancels, pauses).")
    var role: OperatorRole = .viewer

    @OptionGroup var verbosity: Verbosity

    func run() async throws {
        let kernel = try MessengerKernel.booted(logger: verbosity.logger("messenger.http"))
        guard let store = kernel.credentialStore else {
            throw ValidationError("no transport can keep API tokens (configure an sqlite:// or postgresql:// transport)")
        }
        let token = try await OperatorAccess(store: store).createToken(name, role: role)
        await kernel.close()
        print(token)
    }
}
