import Foundation
import MessengerTestSupport
import Testing

/// `App.SendMail` handled by the real `app` worker: into `var/mail` with `file://`, to a real SMTP
/// server with `smtp://` (a 4xx retried, a 5xx parked at once), and a bad `MAILER_DSN` named.
@Suite("app SendMail", .timeLimit(.minutes(2)))
struct SendMailTests {
    static let config = """
        messenger:
          failure_transport: failed
          transports:
            async_mail:
              dsn: 'sqlite://var/messenger.sqlite?queue_name=async_mail'
              retry_strategy: { max_retries: 1, delay: 50, jitter: 0 }
            failed: 'sqlite://var/messenger.sqlite?queue_name=failed'
          routing:
            App.SendMail: async_mail
        """

    func project(mailer dsn: String) throws -> TestProject {
        var project = try TestProject(config: Self.config, dotenv: "MAILER_FROM='Student support <support@univ.example>'\n")
        project.environment["MAILER_DSN"] = dsn
        return project
    }

    static func mail(_ to: String, _ subject: String = "Votre demande a été reçue") -> String {
        #"{"to": ["\#(to)"], "subject": "\#(subject)", "text": "Bonjour,\nvotre demande est enregistrée.", "html": "<p>Bonjour</p>"}"#
    }

    @Test("file://var/mail: each mail lands as one .eml file with its subject, sender and both bodies")
    func fileMailer() async throws {
        let project = try project(mailer: "file://var/mail")
        let dispatched = try await project.run("messenger:dispatch", "App.SendMail", Self.mail("elodie@univ.example"))
        #expect(dispatched.status == 0, "\(dispatched.stderr)")
        #expect(dispatched.stdout.contains("sent to async_mail"))
        let worker = try await project.run("messenger:consume", "async_mail", "--stop-when-empty")
        #expect(worker.status == 0)
        #expect(worker.stderr.contains("Mail sent"))
        let folder = project.directory.file("var/mail")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(files.count == 1)
        let text = try String(contentsOfFile: "\(folder)/\(files[0])", encoding: .utf8)
        #expect(text.contains("From: Student support <support@univ.example>\r\n"))
        #expect(text.contains("To: elodie@univ.example\r\n"))
        #expect(text.contains("Subject: =?UTF-8?B?\(Data("Votre demande a été reçue".utf8).base64EncodedString())?="))
        #expect(text.contains(Data("<p>Bonjour</p>".utf8).base64EncodedString()))
        project.remove()
    }

    @Test("smtp:// to a real server: delivered; a 451 retried then parked; a 550 parked at once with the server's answer")
    func smtpMailer() async throws {
        let server = try await TestSMTPServer()
        let project = try project(mailer: "smtp://127.0.0.1:\(server.port)")
        for to in ["ok@univ.example", "busy@univ.example", "nobody@univ.example"] {
            #expect(try await project.run("messenger:dispatch", "App.SendMail", Self.mail(to)).status == 0)
        }
        let worker = try project.start("messenger:consume", "async_mail", "--sleep", "0.05")
        _ = try await worker.standardError.waitFor(timeout: .seconds(30), description: "two mails parked") {
            $0.components(separatedBy: "Message parked in failure transport").count - 1 == 2
        }
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
        let received = try await server.received(1)
        #expect(received.count == 1)
        #expect(server.output.text.contains("RECEIVED support@univ.example ok@univ.example"))
        let failed = try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout)
        let busy = try #require(failed.first { $0.error?.contains("busy@univ.example") == true })
        #expect(busy.retries == 1)
        #expect(busy.error?.contains("451") == true)
        let nobody = try #require(failed.first { $0.error?.contains("nobody@univ.example") == true })
        #expect(nobody.retries == 0)
        #expect(nobody.error?.contains("550") == true)
        #expect(nobody.errorType?.contains("MailerRejectedError") == true)
        server.stop()
        project.remove()
    }

    @Test("a bad MAILER_DSN parks the mail at once with what is wrong; other commands are unaffected")
    func badDSN() async throws {
        let project = try project(mailer: "sendmail://user:hunter2@localhost")
        #expect(try await project.run("messenger:dispatch", "App.SendMail", Self.mail("elodie@univ.example")).status == 0)
        let worker = try await project.run("messenger:consume", "async_mail", "--stop-when-empty")
        #expect(worker.status == 0)
        #expect(worker.stderr.contains("unknown scheme \"sendmail\""))
        #expect(!worker.stderr.contains("hunter2"))
        let failed = try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout)
        #expect(failed.count == 1 && failed[0].retries == 0)
        project.remove()
    }
}
