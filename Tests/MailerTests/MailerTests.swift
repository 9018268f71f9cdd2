import Foundation
import Mailer
import Messenger
import MessengerTestSupport
import Testing

@Suite("Mailer", .timeLimit(.minutes(2)))
struct MailerTests {
    let email = Email(from: "Support <support@univ.example>", to: ["Élodie <elodie@univ.example>"], subject: "Votre demande a été reçue", text: "Bonjour,\nc'est noté.", html: "<p>Bonjour,</p>")

    @Test("MAILER_DSN: smtp, smtps, file and null; a bad one is named without its password")
    func dsn() throws {
        #expect(try MailerFactory.make(dsn: "null://", baseDirectory: "/srv") is NullMailer)
        let file = try #require(try MailerFactory.make(dsn: "file://var/mail", baseDirectory: "/srv") as? FileMailer)
        #expect(file.directory == "/srv/var/mail")
        let smtp = try #require(try MailerFactory.make(dsn: "smtp://user:p%40ss@mail.univ.example:587", baseDirectory: "/") as? SMTPMailer)
        #expect(smtp.endpoint == "smtp://mail.univ.example:587")
        let smtps = try #require(try MailerFactory.make(dsn: "smtps://mail.univ.example", baseDirectory: "/") as? SMTPMailer)
        #expect(smtps.endpoint == "smtps://mail.univ.example:465" && smtps.implicitTLS)
        let unknown = #expect(throws: MailerConfigurationError.self) { try MailerFactory.make(dsn: "sendmail://user:hunter2@x", baseDirectory: "/") }
        #expect(unknown?.description.contains("unknown scheme \"sendmail\"") == true)
        let noHost = #expect(throws: MailerConfigurationError.self) { try MailerFactory.make(dsn: "smtp://user:hunter2@", baseDirectory: "/") }
        #expect(noHost?.description.contains("hunter2") == false)
    }

    @Test("file:// writes one RFC 5322 message per mail, UTF-8 subject encoded, text and HTML alternatives")
    func fileMailer() async throws {
        let directory = try TemporaryDirectory("mail")
        let path = try await FileMailer(directory: directory.file("var/mail")).send(email)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(path.hasSuffix(".eml"))
        #expect(text.contains("From: Support <support@univ.example>\r\n"))
        #expect(text.contains("To: Élodie <elodie@univ.example>\r\n") || text.contains("To: "))
        #expect(text.contains("Subject: =?UTF-8?B?\(Data("Votre demande a été reçue".utf8).base64EncodedString())?=\r\n"))
        #expect(text.contains("Content-Type: multipart/alternative"))
        #expect(text.contains(Data("Bonjour,\nc'est noté.".utf8).base64EncodedString()))
        #expect(text.contains(Data("<p>Bonjour,</p>".utf8).base64EncodedString()))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("var/mail")).count == 1)
        directory.remove()
    }

    @Test("smtp:// delivers to a real SMTP server; a 451 is transient, a 550 a rejection, no server transient")
    func smtp() async throws {
        let server = try await TestSMTPServer()
        let mailer = try MailerFactory.make(dsn: "smtp://127.0.0.1:\(server.port)", baseDirectory: "/")
        let answer = try await mailer.send(email)
        #expect(answer.contains("250"))
        let received = try await server.received(1)
        #expect(received[0].contains("Subject: =?UTF-8?B?"))
        #expect(server.output.text.contains("RECEIVED support@univ.example elodie@univ.example"))

        var busy = email
        busy.to = ["busy@univ.example"]
        let transient = await #expect(throws: MailerTransientError.self) { try await mailer.send(busy) }
        #expect(transient?.description.contains("451") == true)
        #expect(!(transient.map { $0 as any Error } is any UnrecoverableError))

        var nobody = email
        nobody.to = ["nobody@univ.example"]
        let rejected = await #expect(throws: MailerRejectedError.self) { try await mailer.send(nobody) }
        #expect(rejected?.description.contains("550") == true)
        #expect(rejected.map { $0 as any Error } is any UnrecoverableError)
        server.stop()

        let closed = try MailerFactory.make(dsn: "smtp://127.0.0.1:\(server.port)", baseDirectory: "/")
        await #expect(throws: MailerTransientError.self) { try await closed.send(email) }
    }

    @Test("smtp:// upgrades to TLS with STARTTLS when the server offers it (here: requires it)")
    func startTLS() async throws {
        let server = try await TestSMTPServer(requireStartTLS: true)
        let mailer = try MailerFactory.make(dsn: "smtp://127.0.0.1:\(server.port)?verify_peer=0", baseDirectory: "/")
        try await mailer.send(email)
        #expect(try await server.received(1).count == 1)
        // Verifying the self-signed certificate fails: a transient error, the mail is not lost.
        let verifying = try MailerFactory.make(dsn: "smtp://127.0.0.1:\(server.port)", baseDirectory: "/")
        await #expect(throws: MailerTransientError.self) { try await verifying.send(email) }
        server.stop()
    }

    @Test("smtps:// speaks TLS from the first byte")
    func implicitTLS() async throws {
        let server = try await TestSMTPServer(implicitTLS: true)
        try await MailerFactory.make(dsn: "smtps://127.0.0.1:\(server.port)?verify_peer=0", baseDirectory: "/").send(email)
        #expect(try await server.received(1).count == 1)
        // Plain SMTP to a TLS port waits for a greeting that never comes: a timeout, transient.
        var plain = SMTPMailer(host: "127.0.0.1", port: server.port, tls: .opportunistic)
        plain.timeoutSeconds = 2
        await #expect(throws: MailerTransientError.self) { try await plain.send(email) }
        server.stop()
    }

    @Test("credentials go only over TLS: a server without STARTTLS never sees them (the mail fails for good, saying why) unless the DSN says tls=none")
    func credentialsNeverInClear() async throws {
        let server = try await TestSMTPServer(requireAuth: true)
        let guarded = try MailerFactory.make(dsn: "smtp://mailer:secret@127.0.0.1:\(server.port)", baseDirectory: "/")
        let refused = await #expect(throws: MailerRejectedError.self) { try await guarded.send(email) }
        #expect(refused?.description.contains("does not offer STARTTLS") == true)
        #expect(refused?.description.contains("tls=none") == true)
        #expect(refused?.description.contains("secret") == false)
        #expect(!server.output.text.contains("AUTH-ATTEMPT"))
        // The operator's explicit choice, for a local test server.
        let insecure = try MailerFactory.make(dsn: "smtp://mailer:secret@127.0.0.1:\(server.port)?tls=none", baseDirectory: "/")
        try await insecure.send(email)
        _ = try await server.received(1)
        #expect(server.output.text.contains("AUTH-ATTEMPT"))
        // Without credentials, a relay without STARTTLS still takes mail in clear; AUTH is required here.
        let anonymous = try MailerFactory.make(dsn: "smtp://127.0.0.1:\(server.port)", baseDirectory: "/")
        let unauthenticated = await #expect(throws: MailerRejectedError.self) { try await anonymous.send(email) }
        #expect(unauthenticated?.description.contains("530") == true)
        server.stop()
    }

    @Test("credentials over STARTTLS: the server offers it, the mailer upgrades, then authenticates")
    func credentialsOverStartTLS() async throws {
        let server = try await TestSMTPServer(requireAuth: true, requireStartTLS: true)
        let mailer = try MailerFactory.make(dsn: "smtp://mailer:secret@127.0.0.1:\(server.port)?verify_peer=0", baseDirectory: "/")
        try await mailer.send(email)
        #expect(try await server.received(1).count == 1)
        #expect(server.output.text.contains("AUTH-ATTEMPT PLAIN tls=True ok=True") || server.output.text.contains("AUTH-ATTEMPT LOGIN tls=True ok=True"))
        #expect(!server.output.text.contains("tls=False"))
        server.stop()
    }

    @Test("MAILER_DSN options: tls must be auto, required or none; smtps:// cannot say none; unknown options are named")
    func tlsOptions() throws {
        #expect((try MailerFactory.make(dsn: "smtp://relay:25?tls=required", baseDirectory: "/") as? SMTPMailer)?.tls == .required)
        #expect((try MailerFactory.make(dsn: "smtp://relay:25?tls=none", baseDirectory: "/") as? SMTPMailer)?.tls == SMTPMailer.TLSPolicy.none)
        #expect((try MailerFactory.make(dsn: "smtp://relay:25", baseDirectory: "/") as? SMTPMailer)?.tls == .opportunistic)
        for bad in ["smtp://relay?tls=maybe", "smtps://relay?tls=none", "smtp://u:hunter2@relay?tsl=none"] {
            let error = #expect(throws: MailerConfigurationError.self) { try MailerFactory.make(dsn: bad, baseDirectory: "/") }
            #expect(error?.description.contains("hunter2") == false)
        }
    }

    @Test("a MAILER_DSN that does not parse never shows its password, whatever the password holds",
          arguments: ["smtp://mailuser:Ml/Secret6@mail.example:587", "smtp://mailuser:Ml?Secret6@mail.example:587", "smtp://mailuser:Ml#Secret6@mail.example:587",
                      "smtp://mailuser:Ml%zzSecret6@mail.example:587", "smtp://mailuser:Secret6@[::1:587", "smtp://mailuser:Ml/Se?cr#et6@mail.example"])
    func malformedDSNHidesPassword(dsn: String) throws {
        let start = try #require(dsn.range(of: "mailuser:")?.upperBound)
        let password = String(dsn[start..<(dsn.range(of: "@", options: .backwards)?.lowerBound ?? dsn.endIndex)])
        let error = #expect(throws: MailerConfigurationError.self) { try MailerFactory.make(dsn: dsn, baseDirectory: "/") }
        let text = try #require(error?.description)
        #expect(!text.contains(password))
        #expect(!text.contains("Secret6") && !text.contains("et6"))
        #expect(text.contains("mailuser"))
    }
}
