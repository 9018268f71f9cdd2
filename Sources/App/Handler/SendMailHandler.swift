import Logging
import Mailer
import Messenger

/// Sends `SendMail` through the application's mailer. A 4xx answer or a timeout follows the retry
/// strategy; a 5xx answer or a bad `MAILER_DSN` is unrecoverable (parked at once with the reason).
public struct SendMailHandler: MessageHandler {
    public let mailer: any Mailer
    /// The sender address (`MAILER_FROM`).
    public let from: String

    public init(mailer: any Mailer, from: String) {
        self.mailer = mailer
        self.from = from
    }

    public func handle(_ message: SendMail, context: HandlerContext) async throws -> String {
        guard !message.to.isEmpty else { throw UnrecoverableMessageError("SendMail \"\(message.subject)\" has no recipient") }
        let outcome = try await mailer.send(Email(from: from, to: message.to, subject: message.subject, text: message.text, html: message.html))
        context.logger.notice("Mail sent", metadata: ["mail.to": "\(message.to.joined(separator: ","))", "mail.subject": "\(message.subject)", "mail.outcome": "\(outcome)"])
        return outcome
    }
}
