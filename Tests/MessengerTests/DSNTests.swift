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

    @Test("redaction does not depend on the DSN being well-formed: everything up to the last @, and secret parameters",
          arguments: [
            ("smtp://mailuser:Ml/Secret6@host:25", "smtp://mailuser:***@host:25"),
            ("smtp://mailuser:Ml?Secret6@host:25", "smtp://mailuser:***@host:25"),
            ("smtp://mailuser:Ml#Secret6@host:25", "smtp://mailuser:***@host:25"),
            ("postgresql://app:a@b/c?d@[::1/db", "postgresql://app:***@[::1/db"),
            ("postgresql://app@db/app?password=Secret6&sslmode=require", "postgresql://app@db/app?password=***&sslmode=require"),
            ("postgresql://db/app?sslmode=require&PASSWORD=Secret6", "postgresql://db/app?sslmode=require&PASSWORD=***"),
            ("sendgrid://KeySecret6@default", "sendgrid://***@default"),
            ("app:Secret6@host", "app:***@host"),
            ("postgresql://app@db/app?application_name=a", "postgresql://app@db/app?application_name=a"),
          ])
    func redactsMalformed(text: String, expected: String) {
        #expect(DSN.redact(text) == expected)
    }

    @Test("strict parsing: bad percent escapes, an unclosed IPv6 address, an @ past the host, a fragment; each error names the part, never the password",
          arguments: [
            ("postgresql://app:Pg%zzSecret7@db/app", "the password has a bad percent escape"),
            ("postgresql://app:PgSecret7@[::1/db", "no closing \"]\""),
            ("postgresql://app:Pg/Secret7@db/app", "percent-encode them"),
            ("smtp://user:12?Secret7@mail.example", "percent-encode them"),
            ("smtp://user:Pg#Secret7@mail.example", "percent-encode them"),
            ("postgresql://db/app?sslmode=%zz", "the value of sslmode has a bad percent escape"),
          ])
    func strict(text: String, expected: String) {
        let error = #expect(throws: MessengerError.self) { try DSN(parsing: text) }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("Secret7") == false)
    }

    @Test("a percent-encoded password is decoded; IPv6 hosts keep their brackets; the description hides the password")
    func wellFormed() throws {
        let dsn = try DSN(parsing: "postgresql://app:p%2Fw%3Fd%23x%40y@[::1]:6432/db")
        #expect(dsn.password == "p/w?d#x@y")
        #expect(dsn.host == "[::1]")
        #expect(dsn.port == 6432)
        #expect(dsn.description == "postgresql://app:***@[::1]:6432/db")
    }

    @Test("every address quoted in free text has its secrets hidden; text without one is left as it is")
    func redactAddresses() {
        let text = DSN.redactAddresses(in: "cannot connect to \"postgresql://app:Sup3r@Secret@db.univ.example/app\" (smtp://mailer:pw@mx:25 too)")
        #expect(text == "cannot connect to \"postgresql://app:***@db.univ.example/app\" (smtp://mailer:***@mx:25 too)")
        #expect(DSN.redactAddresses(in: "no address here") == "no address here")
    }
}
