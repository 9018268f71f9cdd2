import ArgumentParser
import Foundation
import Messenger
import MessengerConsole

/// `dashboard:user NAME --role admin|viewer`: creates a dashboard user (or changes its password and
/// role); the password is read from standard input, never from the command line.
struct DashboardUserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard:user", abstract: "Create or update a dashboard user; the password is read from standard input.",
        discussion: "Example: printf '%s\\n' \"$PASSWORD\" | app dashboard:user alice --role admin. --delete removes the user."
    )

    @Argument(help: "The user name.")
    var name: String

    @Option(help: "viewer (reads) or admin (also retries, cancels, pauses, runs schedules).")
    var role: OperatorRole = .viewer

    @Flag(help: "Remove the user instead.")
    var delete = false

    @OptionGroup var verbosity: Verbosity

    static let minimumPasswordLength = 8

    func validate() throws {
        guard !name.isEmpty, name.count <= 100, !name.contains(":"), name.allSatisfy({ !$0.isWhitespace && !$0.isNewline }) else {
            throw ValidationError("the user name must be 1 to 100 characters, without spaces or ':'")
        }
    }

    func run() async throws {
        let kernel = try MessengerKernel.booted(logger: verbosity.logger("messenger.http"))
        defer { Task { await kernel.close() } }
        guard let store = kernel.credentialStore else {
            throw ValidationError("no transport can keep the dashboard's users (configure an sqlite:// or postgresql:// transport)")
        }
        if delete {
            guard try await store.deleteCredential(kind: .user, key: name) else { throw ValidationError("no user \(name)") }
            return print("[OK] User \(name) removed.")
        }
        if isatty(STDIN_FILENO) != 0 { FileHandle.standardError.write(Data("Password for \(name): ".utf8)) }
        guard let line = readLine(strippingNewline: true), line.count >= Self.minimumPasswordLength else {
            throw ValidationError("give a password of at least \(Self.minimumPasswordLength) characters on standard input")
        }
        try await OperatorAccess(store: store).saveUser(name, password: line, role: role)
        await kernel.close()
        print("[OK] User \(name) saved with the \(role.rawValue) role.")
    }
}

extension OperatorRole: ExpressibleByArgument {}
