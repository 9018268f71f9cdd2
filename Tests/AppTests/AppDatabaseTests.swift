@testable import App
import Foundation
import Logging
import Mailer
import Messenger
import MessengerPostgres
import MessengerTestSupport
import Testing

/// The application's schema and its first handlers on a real SQLite file and a real PostgreSQL
/// database (a schema of its own per test).
@Suite("The application's database")
struct AppDatabaseTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case sqlite
        case postgres
        var testDescription: String { rawValue }
    }

    /// A fresh database of the kind; PostgreSQL gets a schema of its own, dropped afterwards.
    struct Fixture {
        let database: AppDatabase
        let shared: SharedAppDatabase
        let directory: TemporaryDirectory
        let schema: String?

        init(_ kind: Kind) async throws {
            directory = try TemporaryDirectory("app-db")
            switch kind {
            case .sqlite:
                try directory.write(".env", "DATABASE_URL=sqlite://var/app.sqlite\n")
                schema = nil
            case .postgres:
                let name = TestPostgres.uniqueTable("app")
                let admin = try PostgresConnection(url: try TestPostgres.url)
                try await admin.execute("CREATE SCHEMA \(name)")
                await admin.close()
                let separator = try TestPostgres.url.contains("?") ? "&" : "?"
                try directory.write(".env", "DATABASE_URL=\(try TestPostgres.url)\(separator)options=-csearch_path%3D\(name)\n")
                schema = name
            }
            let environment = AppEnvironment(projectDirectory: directory.path)
            database = try environment.openDatabase()
            shared = SharedAppDatabase(environment: environment)
        }

        func remove() async throws {
            await database.close()
            await shared.close()
            if let schema {
                let admin = try PostgresConnection(url: try TestPostgres.url)
                try await admin.execute("DROP SCHEMA \(schema) CASCADE")
                await admin.close()
            }
            directory.remove()
        }
    }

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let today = Date(timeIntervalSince1970: 1_795_392_000) // 2026-11-23T00:00:00Z

    @Test("migrations apply once, even run twice at the same time", arguments: Kind.allCases)
    func migrate(kind: Kind) async throws {
        let fixture = try await Fixture(kind)
        let other = try AppEnvironment(projectDirectory: fixture.directory.path).openDatabase()
        async let first = AppMigrator.migrate(fixture.database)
        async let second = AppMigrator.migrate(other)
        let applied = try await first.count + second.count
        #expect(applied == AppSchema.migrations.count)
        #expect(try await AppMigrator.migrate(fixture.database).isEmpty)
        #expect(try await AppMigrator.appliedVersions(fixture.database) == AppSchema.migrations.map(\.version))
        #expect(try await DemoData.seed(fixture.database, today: Self.today))
        #expect(try await !DemoData.seed(fixture.database, today: Self.today))
        await other.close()
        try await fixture.remove()
    }

    /// A fresh database, migrated and seeded.
    static func seeded(_ kind: Kind) async throws -> Fixture {
        let fixture = try await Fixture(kind)
        try await AppMigrator.migrate(fixture.database)
        try await DemoData.seed(fixture.database, today: today)
        return fixture
    }

    /// A bus whose `App.SendMail` messages land in `mails`, with the application's handlers.
    static func bus(_ shared: SharedAppDatabase, mails: InMemoryTransport, projectDirectory: String = "/nonexistent") -> MessageBus {
        var registry = MessageRegistry()
        AppMessages.register(into: &registry, mailer: NullMailerForTests(), mailFrom: "support@univ.example", database: shared, environment: AppEnvironment(projectDirectory: projectDirectory))
        return MessageBus(registry: registry, senders: SendersLocator(routing: ["App.SendMail": ["mail"]], senders: ["mail": mails]))
    }

    @Test("RecomputeRoles keeps the roles of assignments valid on the day, and only those", arguments: Kind.allCases)
    func recomputeRoles(kind: Kind) async throws {
        let fixture = try await Self.seeded(kind)
        let bus = Self.bus(fixture.shared, mails: InMemoryTransport())
        let roles = "SELECT u.email, r.role FROM user_roles r JOIN users u ON u.id = r.user_id ORDER BY u.email, r.role"
        try await bus.dispatch(RecomputeRoles(on: "2026-11-23"))
        #expect(try await fixture.database.query(roles) == [
            ["alice.martin@univ.example", "ROLE_ADMIN"], ["bruno.petit@univ.example", "ROLE_ADVISOR"], ["chloe.durand@univ.example", "ROLE_ADVISOR"],
        ])
        // 40 days later: Bruno's advisor assignment has ended, David's has begun.
        try await bus.dispatch(RecomputeRoles(on: "2027-01-02"))
        #expect(try await fixture.database.query(roles) == [
            ["alice.martin@univ.example", "ROLE_ADMIN"], ["chloe.durand@univ.example", "ROLE_ADVISOR"], ["david.leroy@univ.example", "ROLE_ADVISOR"],
        ])
        try await fixture.remove()
    }

    @Test("handlers running at once (a worker's --concurrency) each get a connection of their own: no transaction is shared", arguments: Kind.allCases)
    func concurrentHandlers(kind: Kind) async throws {
        let fixture = try await Self.seeded(kind)
        let bus = Self.bus(fixture.shared, mails: InMemoryTransport())
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask {
                    let sent = try await bus.dispatch(Envelope(index % 2 == 0 ? RecomputeRoles(on: "2026-11-23") as any Message : RecomputeAvisEse(on: "2026-11-23")))
                    return sent.last(HandledStamp.self) == nil ? 0 : 1
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(counts == 8)
        #expect(try await fixture.database.query("SELECT count(*) FROM user_roles")[0][0] == "3")
        #expect(try await fixture.database.query("SELECT count(*) FROM avis_ese_reminders")[0][0] == "1")
        try await fixture.remove()
    }

    @Test("ArchiveObsoleteRequests refuses the drafts of archived campaigns and mails each student, after the update", arguments: Kind.allCases)
    func archive(kind: Kind) async throws {
        let fixture = try await Self.seeded(kind)
        let mails = InMemoryTransport()
        let bus = Self.bus(fixture.shared, mails: mails)
        let drafts = "SELECT r.id FROM requests r JOIN campaigns c ON c.id = r.campaign_id WHERE r.state = 'draft' AND c.archive_on < '2026-11-23'"
        let expected = try await fixture.database.query(drafts).count
        #expect(expected >= 1)
        let handled = try await bus.dispatch(ArchiveObsoleteRequests(on: "2026-11-23"))
        #expect(handled.last(HandledStamp.self) != nil)
        #expect(try await fixture.database.query(drafts).isEmpty)
        let sent = try await mails.list(limit: 100).compactMap { $0.message as? SendMail }
        #expect(sent.count == expected)
        #expect(sent.allSatisfy { $0.to.first?.hasSuffix("@etu.univ.example") == true && $0.subject.contains("Scholarship 2025") })
        // Nothing left to archive: no mail.
        try await bus.dispatch(ArchiveObsoleteRequests(on: "2026-11-23"))
        #expect(try await mails.list(limit: 100).count == expected)
        try await fixture.remove()
    }

    @Test("when the update fails, no request changes and no mail goes out", arguments: Kind.allCases)
    func archiveFailure(kind: Kind) async throws {
        let fixture = try await Self.seeded(kind)
        if fixture.database.isPostgres {
            try await fixture.database.execute("""
                CREATE FUNCTION refuse_updates() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'requests are read-only'; END $$;
                CREATE TRIGGER read_only BEFORE UPDATE ON requests FOR EACH ROW EXECUTE FUNCTION refuse_updates();
                """)
        } else {
            try await fixture.database.execute("CREATE TRIGGER read_only BEFORE UPDATE ON requests BEGIN SELECT RAISE(ABORT, 'requests are read-only'); END;")
        }
        let before = try await fixture.database.query("SELECT id, state FROM requests ORDER BY id")
        let mails = InMemoryTransport()
        await #expect(throws: (any Error).self) { try await Self.bus(fixture.shared, mails: mails).dispatch(ArchiveObsoleteRequests(on: "2026-11-23")) }
        #expect(try await fixture.database.query("SELECT id, state FROM requests ORDER BY id") == before)
        #expect(try await mails.list(limit: 100).isEmpty)
        try await fixture.remove()
    }

    @Test("PurgeOrphanFiles deletes the files no row references once past the grace period, and only those", arguments: Kind.allCases)
    func purge(kind: Kind) async throws {
        let fixture = try await Self.seeded(kind)
        let uploads = fixture.directory.file("var/uploads")
        let old = Date().addingTimeInterval(-3 * 86_400)
        for (path, modified) in [("requests/1/transcript.pdf", old), ("requests/3/forgotten.pdf", old), ("incoming/being-uploaded.pdf", Date())] {
            try fixture.directory.write("var/uploads/\(path)", "pdf")
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: "\(uploads)/\(path)")
        }
        let listed = try await OrphanFiles.find(in: uploads, database: fixture.database, olderThan: Date().addingTimeInterval(-86_400))
        #expect(listed == ["requests/3/forgotten.pdf"])
        let bus = Self.bus(fixture.shared, mails: InMemoryTransport(), projectDirectory: fixture.directory.path)
        let handled = try await bus.dispatch(PurgeOrphanFiles())
        #expect(handled.last(HandledStamp.self) != nil)
        #expect(FileManager.default.fileExists(atPath: "\(uploads)/requests/1/transcript.pdf"))
        #expect(!FileManager.default.fileExists(atPath: "\(uploads)/requests/3/forgotten.pdf"))
        #expect(FileManager.default.fileExists(atPath: "\(uploads)/incoming/being-uploaded.pdf"))
        try await fixture.remove()
    }

    @Test("SendReminders mails the staff whose HR period ends in 4 days and the contacts of the next 3 days' interventions", arguments: Kind.allCases)
    func reminders(kind: Kind) async throws {
        let fixture = try await Self.seeded(kind)
        let mails = InMemoryTransport()
        try await Self.bus(fixture.shared, mails: mails).dispatch(SendReminders(on: "2026-11-23"))
        let sent = try await mails.list(limit: 100).compactMap { $0.message as? SendMail }
        #expect(sent.map(\.to) == [["bruno.petit@univ.example"], ["alice.martin@univ.example"]])
        #expect(sent.first?.subject == "Your Fixed-term contract ends on 2026-11-27")
        #expect(sent.last?.subject == "Reminder: Study skills workshop on 2026-11-25")
        // The day after: the contract ends in 3 days, the workshop is tomorrow.
        try await Self.bus(fixture.shared, mails: mails).dispatch(SendReminders(on: "2026-11-24"))
        #expect(try await mails.list(limit: 100).count == 3)
        try await fixture.remove()
    }

    @Test("the application's database is the transport's without the transport's options; a PostgreSQL connection's own parameters stay")
    func databaseURL() throws {
        let directory = try TemporaryDirectory("app-url")
        for (transport, expected) in [
            ("sqlite://var/messenger.sqlite?queue_name=async", "sqlite://var/messenger.sqlite"),
            ("postgresql://app:pw@db/app?queue_name=async&sslmode=require&options=-csearch_path%3Dx&use_notify=0",
             "postgresql://app:pw@db/app?sslmode=require&options=-csearch_path%3Dx"),
            ("postgresql://app:pw@db/app?table_name=m", "postgresql://app:pw@db/app"),
            ("redis://cache:6379", "sqlite://var/messenger.sqlite"),
        ] {
            try directory.write(".env", "MESSENGER_TRANSPORT_DSN=\(transport)\n")
            #expect(try AppEnvironment(projectDirectory: directory.path).databaseURL() == expected)
        }
        directory.remove()
    }

    @Test("statements are written once with $n parameters; SQLite gets ?n")
    func parameters() {
        #expect(AppDatabase.sqliteParameters("SELECT $1, $2 WHERE a = $1 AND b = '$x'") == "SELECT ?1, ?2 WHERE a = ?1 AND b = '$x'")
    }
}

/// A mailer that accepts everything (the mail tests use the real ones).
struct NullMailerForTests: Mailer {
    func send(_ email: Email) async throws -> String { "accepted" }
}
