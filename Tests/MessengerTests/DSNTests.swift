import Logging
import Messenger
import Testing

@Suite("DSN")
struct DSNTests {
    @Test("parts of a full DSN, with percent-decoded credentials and query options")
    func parse() throws {
        let dsn = try DSN(parsing: "postgresql://app:s%40cret@db.example:6432/messages?queue_name=mail&auto_setup=false")
        #expect(dsn.scheme == "postgresql")
        #expect(dsn.user == "app")
        #expect(dsn.password == "s@cret")
        #expect(dsn.host == "db.example")
        #expect(dsn.port == 6432)
        #expect(dsn.path == "/messages")
        #expect(dsn.option("queue_name") == "mail")
        #expect(dsn.option("auto_setup") == "false")
    }

    @Test("a relative SQLite path keeps host and path")
    func sqlitePath() throws {
        let dsn = try DSN(parsing: "sqlite://var/messenger.sqlite")
        #expect(dsn.host == "var")
        #expect(dsn.path == "/messenger.sqlite")
    }

    @Test("the password never shows in the description")
    func redaction() throws {
        let dsn = try DSN(parsing: "postgresql://app:hunter2@db/app")
        #expect(dsn.description == "postgresql://app:***@db/app")
        #expect(!String(describing: dsn).contains("hunter2"))
    }

    @Test("malformed DSNs are errors that never echo the password", arguments: ["no-scheme", "://x", "pg://u:hunter2@h:99999/db"])
    func malformed(text: String) {
        let error = #expect(throws: MessengerError.self) { try DSN(parsing: text) }
        #expect(error?.code == .invalidDSN)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test("an unknown scheme names the supported ones")
    func unknownScheme() throws {
        let factories = TransportFactories()
        let definition = TransportDefinition(name: "async", dsn: try DSN(parsing: "redis://localhost"))
        let error = #expect(throws: MessengerError.self) {
            try factories.makeTransport(definition, serializer: JSONSerializer(registry: MessageRegistry()), logger: .init(label: "t"))
        }
        #expect(error?.code == .unsupportedDSNScheme)
        #expect(error?.description.contains("redis") == true)
        #expect(error?.description.contains("in-memory://") == true)
    }
}
