import Foundation
import MessengerSQLite
import MessengerTestSupport
import Testing

/// The application from the real `app`: its schema, demonstration data, and the first planned jobs
/// dispatched, stored, handled, with their mails in `var/mail`.
@Suite("app database and planned jobs", .timeLimit(.minutes(2)))
struct AppCommandTests {
    static let config = """
        messenger:
          failure_transport: failed
          transports:
            async: '%env(MESSENGER_TRANSPORT_DSN)%'
            async_mail: 'sqlite://var/messenger.sqlite?queue_name=async_mail'
            failed: 'sqlite://var/messenger.sqlite?queue_name=failed'
          routing:
            App.SendMail: async_mail
            'App.*': async
        """

    /// The repository's mail templates.
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("templates/mail").path

    @Test("database:migrate is idempotent; demo:seed loads once; its jobs run through the workers: mails, avis ESE, PDF documents, a digest")
    func planned() async throws {
        var project = try TestProject(config: Self.config)
        project.environment["MAILER_DSN"] = "file://var/mail"
        project.environment["MAIL_TEMPLATES_DIR"] = Self.templates
        project.environment["TECHNICAL_CONTACTS"] = "tech@univ.example"
        project.environment["TECHNICAL_ERROR_DIGEST_DELAY"] = "0"
        project.environment["UNIVERSITY_NAME"] = "Université de Montéval"
        let first = try await project.run("database:migrate")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("[OK] Applied migration 1"))
        let second = try await project.run("database:migrate")
        #expect(second.stdout.contains("[OK] The schema is up to date (version 4)."))
        let seeded = try await project.run("demo:seed")
        #expect(seeded.stdout.contains("[OK] Demonstration data loaded."))
        #expect(seeded.stdout.contains("[OK] Queued once, for a first worker to show them at work: App.RecomputeRoles, App.ArchiveObsoleteRequests, "
                                       + "App.PurgeOrphanFiles, App.SendReminders, App.RecomputeAvisEse, App.GenerateDocument, App.GenerateDocument, App.ReportTechnicalError."))
        #expect(try await project.run("demo:seed").stdout.contains("nothing loaded"))

        let list = try json([ListRow].self, try await project.run("scheduler:list", "--format", "json").stdout)
        #expect(list.map(\.name) == ["recompute-roles", "archive-obsolete-requests", "purge-orphan-files", "enrollment-refresh", "reminders", "avis-ese"])
        #expect(try await project.run("scheduler:run", "recompute-roles").stdout.contains("sent to async"))
        #expect(try await project.run("scheduler:run", "archive-obsolete-requests").stdout.contains("sent to async"))
        let worker = try await project.run("messenger:consume", "async", "async_mail", "--stop-when-empty")
        #expect(worker.status == 0)
        #expect(worker.stderr.contains("Roles recomputed"))
        #expect(worker.stderr.contains("Obsolete requests archived"))
        #expect(worker.stderr.contains("Mail sent"))
        // What demo:seed queued once: the old orphan it left in var/uploads is gone, reminders mailed.
        #expect(worker.stderr.contains("Orphan files purged"))
        #expect(worker.stderr.contains("Reminders sent"))
        #expect(!FileManager.default.fileExists(atPath: project.directory.file("var/uploads/requests/7/abandoned-draft.pdf")))
        #expect(FileManager.default.fileExists(atPath: project.directory.file("var/uploads/requests/1/transcript.pdf")))
        let database = SQLiteConnection(path: project.databasePath)
        #expect(try await database.query("SELECT count(*) FROM user_roles")[0][0].int ?? 0 >= 2)
        let refused = try await database.query("SELECT count(*) FROM requests r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = 'Scholarship 2025' AND r.state = 'draft'")
        #expect(refused[0][0].int == 0)
        // Every avis state computed; the two documents generated, as files with their checksums.
        let states = try await database.query("SELECT state, count(*) FROM avis_ese_states GROUP BY state ORDER BY state")
        #expect(states.map { $0[0].string ?? "" } == ["expired", "expiring", "pending", "valid"])
        let documents = try await database.query("SELECT path, checksum, pages FROM documents WHERE state = 'generated' ORDER BY id")
        #expect(documents.map { $0[0].string ?? "" } == ["accommodation-certificate/1-v1.pdf", "campaign-summary/2-v1.pdf"])
        for document in documents {
            let data = try Data(contentsOf: URL(fileURLWithPath: project.directory.file("var/documents/" + (document[0].string ?? ""))))
            #expect(data.starts(with: Data("%PDF-".utf8)) && document[1].string?.hasPrefix("sha256:") == true)
        }
        await database.close()
        let mailFolder = project.directory.file("var/mail")
        let mails = try FileManager.default.contentsOfDirectory(atPath: mailFolder)
        #expect(mails.count >= 1)
        // The archive mail (reminders are there too), rendered from templates/mail/request-archived.txt
        // (its first part, base64).
        let message = try #require(try mails.map { try String(contentsOfFile: "\(mailFolder)/\($0)", encoding: .utf8) }
            .first { $0.contains("Subject: Your draft request in Scholarship 2025 was closed") })
        func plainText(_ message: String) -> String {
            let part = message.components(separatedBy: "Content-Transfer-Encoding: base64\r\n\r\n").dropFirst().first?.components(separatedBy: "\r\n--")[0] ?? ""
            return String(decoding: Data(base64Encoded: part.replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
        }
        let text = plainText(message)
        #expect(text.contains("file a new request in an open campaign"))
        #expect(text.contains("The campaign Scholarship 2025 is archived."))
        // The demonstration error's digest, and the expiring avis's reminder.
        let all = try mails.map { try String(contentsOfFile: "\(mailFolder)/\($0)", encoding: .utf8) }
        #expect(all.contains { $0.contains("To: tech@univ.example") && plainText($0).contains("Where: demo:seed") })
        #expect(all.contains { $0.contains("To: 21000100@etu.univ.example") && $0.contains("Subject: Your avis ESE expires on ") })
        project.remove()
    }

    @Test("a bad DATABASE_URL is named by database:migrate, with a non-zero exit")
    func badURL() async throws {
        var project = try TestProject(config: Self.config)
        project.environment["DATABASE_URL"] = "mysql://root@localhost/app"
        let result = try await project.run("database:migrate")
        #expect(result.status != 0)
        #expect(result.stderr.contains("DATABASE_URL: unknown scheme \"mysql\""))
        project.remove()
    }
}

extension AppCommandTests {
    @Test("files:purge-orphans --dry-run lists the orphans and deletes nothing; without it, a worker deletes them")
    func purgeOrphans() async throws {
        var project = try TestProject(config: Self.config)
        project.environment["MAILER_DSN"] = "null://"
        #expect(try await project.run("demo:seed").status == 0)
        try project.directory.write("var/uploads/requests/9/orphan.pdf", "pdf")
        try project.directory.write("var/uploads/requests/1/transcript.pdf", "pdf")
        let dry = try await project.run("files:purge-orphans", "--dry-run", "--grace", "0")
        #expect(dry.status == 0, "\(dry.stderr)")
        // The seed's own old orphan, and this one.
        #expect(dry.stdout.contains("requests/7/abandoned-draft.pdf\nrequests/9/orphan.pdf\n"))
        #expect(!dry.stdout.contains("transcript.pdf"))
        #expect(dry.stdout.contains("[OK] 2 orphan file(s)"))
        #expect(FileManager.default.fileExists(atPath: project.directory.file("var/uploads/requests/9/orphan.pdf")))
        let sent = try await project.run("files:purge-orphans", "--grace", "0")
        #expect(sent.stdout.contains("[OK] App.PurgeOrphanFiles sent to async."))
        let worker = try await project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(worker.stderr.contains("Orphan files purged"))
        #expect(!FileManager.default.fileExists(atPath: project.directory.file("var/uploads/requests/9/orphan.pdf")))
        #expect(FileManager.default.fileExists(atPath: project.directory.file("var/uploads/requests/1/transcript.pdf")))
        project.remove()
    }
}

extension AppCommandTests {
    @Test("student:create records the student and queues the fetch in one transaction; a worker stores the enrollments; a second create is refused")
    func createStudent() async throws {
        let server = try await TestApogeeServer()
        var project = try TestProject(config: Self.config)
        project.environment["APOGEE_URL"] = server.url
        let created = try await project.run("student:create", "21000999", "zoe@etu.univ.example", "Zoé Marchand")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("[OK] Student 21000999 recorded; enrollment fetch queued on async."))
        let again = try await project.run("student:create", "21000999", "zoe@etu.univ.example", "Zoé Marchand")
        #expect(again.status != 0)
        #expect(again.stderr.contains("student 21000999 exists already"))
        let worker = try await project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(worker.stderr.contains("Enrollments fetched"))
        let database = SQLiteConnection(path: project.databasePath)
        #expect(try await database.query("SELECT count(*) FROM enrollments")[0][0].int == 2)
        await database.close()
        #expect(server.requests("/students/21000999/enrollments") == 1)
        server.stop()
        project.remove()
    }
}
