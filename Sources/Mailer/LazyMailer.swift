import Foundation
import Messenger

/// A mailer built from its DSN at the first mail, so that a process that sends none never reads it,
/// and a bad `MAILER_DSN` fails the mail (parked with the reason) rather than every command.
public final class LazyMailer: Mailer {
    private let resolve: @Sendable () throws -> any Mailer
    private let resolved = LoadedOnce<any Mailer>()

    /// `dsn` gives `MAILER_DSN`; `baseDirectory` resolves a relative `file://` folder.
    public init(baseDirectory: String, dsn: @escaping @Sendable () throws -> String) {
        resolve = { try MailerFactory.make(dsn: try dsn(), baseDirectory: baseDirectory) }
    }

    public func send(_ email: Email) async throws -> String {
        try await resolved.get(resolve).send(email)
    }
}
