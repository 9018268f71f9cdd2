@testable import App
import Foundation
import Mailer
import Messenger
import MessengerTestSupport
import Synchronization
import Testing

@Suite("Mail templates")
struct MailTemplateTests {
    final class RecordingMailer: Mailer {
        let sent = Mutex<[Email]>([])
        func send(_ email: Email) async throws -> String {
            sent.withLock { $0.append(email) }
            return "recorded"
        }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("SendMail with a template: text and HTML rendered from templates/mail, values escaped in HTML")
    func rendered() async throws {
        let mailer = RecordingMailer()
        var registry = MessageRegistry()
        AppMessages.register(into: &registry, mailer: mailer, mailFrom: "support@univ.example",
                             database: SharedAppDatabase(environment: AppEnvironment(projectDirectory: "/nonexistent")),
                             environment: AppEnvironment(projectDirectory: Self.repository))
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: [:], senders: [:]))
        try await bus.dispatch(SendMail(to: ["zoe@etu.univ.example"], subject: "Closed", template: "request-archived",
                                        context: ["name": "Zoé <Z>", "campaign": "Scholarship 2025"]))
        let email = try #require(mailer.sent.withLock { $0.first })
        #expect(email.text.hasPrefix("Hello Zoé <Z>,\n"))
        #expect(email.text.contains("The campaign Scholarship 2025 is archived."))
        #expect(email.html?.contains("<p>Hello Zoé &lt;Z&gt;,</p>") == true)
    }

    @Test("a missing template, a missing value, an unclosed placeholder: unrecoverable, named")
    func errors() throws {
        let templates = MailTemplates(environment: AppEnvironment(projectDirectory: Self.repository))
        let missing = #expect(throws: UnrecoverableMessageError.self) { try templates.render("nope", context: [:]) }
        #expect(missing?.description.contains("templates/mail/nope.txt cannot be read") == true)
        let value = #expect(throws: UnrecoverableMessageError.self) { try templates.render("request-archived", context: ["name": "Zoé"]) }
        #expect(value?.description.contains("needs \"campaign\"") == true)
        #expect(throws: UnrecoverableMessageError.self) { try templates.fill("Hello {{ name", name: "t", context: ["name": "x"]) }
        #expect(throws: UnrecoverableMessageError.self) { try templates.render("../../etc/passwd", context: [:]) }
    }
}
