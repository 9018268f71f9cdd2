import Logging
import Mailer
import Messenger

/// Sends `SendMail` through the application's mailer, its bodies rendered from a template when it
/// names one. A 4xx answer or a timeout follows the retry strategy; a 5xx answer, a bad `MAILER_DSN`
/// or a template that is missing or lacks a value is unrecoverable (parked at once with the reason).
struct SendMailHandler: MessageHandler {
    let mailer: any Mailer
    /// The sender address (`MAILER_FROM`).
    let from: String
    let templates: MailTemplates

    func handle(_ message: SendMail, context: HandlerContext) async throws -> String {
        guard !message.to.isEmpty else { throw UnrecoverableMessageError("SendMail \"\(message.subject)\" has no recipient") }
        var (text, html) = (message.text, message.html)
        if let template = message.template {
            (text, html) = try templates.render(template, context: message.context ?? [:])
        }
        guard !text.isEmpty else { throw UnrecoverableMessageError("SendMail \"\(message.subject)\" has neither a text nor a template") }
        let outcome = try await mailer.send(Email(from: from, to: message.to, subject: message.subject, text: text, html: html))
        context.logger.notice("Mail sent", metadata: ["mail.to": "\(message.to.joined(separator: ","))", "mail.subject": "\(message.subject)", "mail.outcome": "\(outcome)"])
        return outcome
    }
}
