import Foundation
import MessengerTestSupport
import Testing

/// Passwords of DSNs, whatever they hold, never appear in what the real `app` prints, logs (at any
/// verbosity) or stores with a failed message.
@Suite("app keeps DSN passwords out of every output", .serialized, .timeLimit(.minutes(3)))
struct SecretRedactionTests {
    /// Every piece of the password longer than three characters, split at its special characters.
    static func pieces(of password: String) -> [String] {
        password.split(whereSeparator: { "/?#@%:[]".contains($0) }).map(String.init).filter { $0.count > 3 } + [password]
    }

    static func expectHidden(_ password: String, in texts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for text in texts {
            for piece in pieces(of: password) {
                #expect(!text.contains(piece), "\"\(piece)\" shows in: \(text.suffix(600))", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a MAILER_DSN password with an unescaped /, ? or #: the mail is parked, and neither the log (-vv) nor the stored failure nor failed:show shows it",
          arguments: ["Ml/Secret6", "Ml?Secret6", "Ml#Secret6", "Ml/Se?cr#et6@x"])
    func mailerPassword(password: String) async throws {
        var project = try TestProject(config: SendMailTests.config, dotenv: "MAILER_FROM=support@univ.example\n")
        defer { project.remove() }
        project.environment["MAILER_DSN"] = "smtp://mailuser:\(password)@127.0.0.1:2525"
        #expect(try await project.run("messenger:dispatch", "App.SendMail", SendMailTests.mail("elodie@univ.example")).status == 0)
        let worker = try await project.run("messenger:consume", "async_mail", "--stop-when-empty", "-vv")
        #expect(worker.status == 0)
        #expect(worker.stderr.contains("MAILER_DSN"))
        let shown = try await project.run("messenger:failed:show", "-vv")
        let listed = try await project.run("messenger:failed:show", "--format", "json")
        let failed = try json([FailedRow].self, listed.stdout)
        #expect(failed.count == 1)
        #expect(failed.first?.error?.contains("mailuser:***@") == true)
        let one = try await project.run("messenger:failed:show", try #require(failed.first?.id), "-vv")
        // The stored failure, wherever SQLite keeps it (the file or its write-ahead log).
        let stored = [project.databasePath, project.databasePath + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }
            .map { String(decoding: $0, as: UTF8.self) }.joined()
        Self.expectHidden(password, in: [worker.stdout, worker.stderr, shown.stdout, shown.stderr, listed.stdout, one.stdout, one.stderr, stored])
    }

    @Test("PostgreSQL DSNs that do not parse or that libpq refuses: a clear error, a non-zero exit at once, the password never shown",
          arguments: [
            ("postgresql://app:Pg/Secret7@127.0.0.1:5432/db", "percent-encode"),
            ("postgresql://app:Pg?Secret7@127.0.0.1:5432/db", "percent-encode"),
            ("postgresql://app:Pg%zzSecret7@127.0.0.1:5432/db", "bad percent escape"),
            ("postgresql://app:PgSecret7@[::1/db", "no closing"),
          ])
    func postgresMalformed(dsn: String, expected: String) async throws {
        var project = try TestProject()
        defer { project.remove() }
        project.environment["MESSENGER_TRANSPORT_DSN"] = dsn
        let password = String(dsn[dsn.range(of: "app:")!.upperBound..<dsn.range(of: "@", options: .backwards)!.lowerBound])
        for command in [["messenger:consume", "async", "--time-limit", "20", "-vv"], ["messenger:stats", "-vv"], ["debug:messenger", "-vv"]] {
            let result = try await project.run(command)
            #expect(result.status != 0, "\(command[0]) exited 0")
            #expect(result.stderr.contains(expected), "\(result.stderr)")
            #expect(result.stderr.contains("app:***@"))
            Self.expectHidden(password, in: [result.stdout, result.stderr])
        }
    }

    @Test("a password given as ?password=… and a wrong one: refused by the server, a non-zero exit, never shown")
    func postgresPasswordParameter() async throws {
        let url = try TestPostgres.url
        let withoutPassword = url.replacingOccurrences(of: ":messenger-test@", with: "@")
        var project = try TestProject()
        defer { project.remove() }
        project.environment["MESSENGER_TRANSPORT_DSN"] = withoutPassword + "?password=Wrong-Secret8"
        let result = try await project.run(["messenger:consume", "async", "--time-limit", "20", "-vv"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("password authentication failed"))
        #expect(result.stderr.contains("password=***"))
        Self.expectHidden("Wrong-Secret8", in: [result.stdout, result.stderr])
        // The right one as a parameter works, and is not shown either.
        project.environment["MESSENGER_TRANSPORT_DSN"] = withoutPassword + "?password=messenger-test&table_name=\(TestPostgres.uniqueTable("secret"))"
        let stats = try await project.run(["messenger:stats", "-vv"])
        #expect(stats.status == 0, "\(stats.stderr)")
        Self.expectHidden("messenger-test", in: [stats.stdout, stats.stderr])
    }

    @Test("libpq options it refuses (sslmode=bogus, connect_timeout=abc) stop a worker at start with a non-zero exit, instead of retries forever",
          arguments: ["sslmode=bogus", "connect_timeout=abc"])
    func refusedLibpqOption(option: String) async throws {
        var project = try TestProject()
        defer { project.remove() }
        project.environment["MESSENGER_TRANSPORT_DSN"] = try TestPostgres.url + "?" + option
        let result = try await project.run(["messenger:consume", "async", "--time-limit", "20"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(String(option.split(separator: "=")[0])))
        #expect(!result.stderr.contains("Consuming messages"))
        Self.expectHidden("messenger-test", in: [result.stdout, result.stderr])
    }
}
