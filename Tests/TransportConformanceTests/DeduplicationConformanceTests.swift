import Foundation
import Messenger
import MessengerPostgres
import MessengerSQLite
import MessengerTestSupport
import Testing

/// Deduplication and debounce, stated once for every transport that stores messages.
extension TransportConformanceTests {
    static func keyed(_ number: Int, _ key: String, whileHandling: Bool = false, debounce: Bool = false, delay: Int? = nil) -> Envelope {
        Envelope(Numbered(number: number), stamps: [DeduplicateStamp(key, whileHandling: whileHandling, debounce: debounce)] + (delay.map { [DelayStamp(milliseconds: $0)] } ?? []))
    }

    @Test("a second message with a waiting key is not stored; the answer names the waiting one; other keys and no key are stored", arguments: Kind.allCases)
    func deduplicateWaiting(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let first = try await subject.transport.send(Self.keyed(1, "student-42"))
            #expect(!first.wasDeduplicated)
            let firstId = try #require(first.last(TransportMessageIdStamp.self)?.id)
            let second = try await subject.other.send(Self.keyed(2, "student-42"))
            let answer = try #require(second.last(DeduplicatedStamp.self))
            #expect(answer.existingMessageId == firstId && !answer.debounced && answer.existingStatus == .queued)
            #expect(!(try await subject.transport.send(Self.keyed(3, "student-7"))).wasDeduplicated)
            #expect(!(try await subject.transport.send(Envelope(Numbered(number: 4)))).wasDeduplicated)
            #expect(Self.numbers(try await subject.transport.get(limit: 10)) == [1, 3, 4])
        }
    }

    @Test("once the first is being handled, a new one is stored; with whileHandling, not until it is acknowledged", arguments: Kind.allCases)
    func deduplicateWhileHandling(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            _ = try await subject.transport.send(Self.keyed(1, "fetch"))
            _ = try await subject.transport.send(Self.keyed(10, "sync", whileHandling: true))
            let claimed = try await subject.transport.get(limit: 10)
            #expect(Self.numbers(claimed) == [1, 10])
            #expect(!(try await subject.other.send(Self.keyed(2, "fetch"))).wasDeduplicated)
            #expect((try await subject.other.send(Self.keyed(11, "sync", whileHandling: true))).wasDeduplicated)
            try await subject.transport.ack(claimed[1])
            try await subject.transport.flush()
            #expect(!(try await subject.other.send(Self.keyed(12, "sync", whileHandling: true))).wasDeduplicated)
            #expect(Self.numbers(try await subject.transport.get(limit: 10)) == [2, 12])
        }
    }

    @Test("debounce: a delayed message with a waiting key moves that message's due time instead of adding one", arguments: Kind.allCases)
    func debounce(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            _ = try await subject.transport.send(Self.keyed(1, "student-42", debounce: true, delay: 30_000))
            try await subject.advance(by: 20)
            let again = try await subject.transport.send(Self.keyed(2, "student-42", debounce: true, delay: 30_000))
            let moved = Date()
            #expect(again.last(DeduplicatedStamp.self)?.debounced == true)
            #expect(try await subject.transport.statistics().total == 1)
            // Due 30 s after the first: not yet, the second moved it to 30 s after itself.
            try await subject.expectDue([1], notAfter: 15, butAfter: 20, since: moved)
        }
    }

    @Test("a retry of a message deduplicated while handling is stored (its own claim does not block it)", arguments: Kind.allCases)
    func retryIsNotItsOwnDuplicate(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            _ = try await subject.transport.send(Self.keyed(1, "sync", whileHandling: true))
            let claimed = try #require(try await subject.transport.get(limit: 1).first)
            let retry = try await subject.transport.send(claimed.with(RedeliveryStamp(retryCount: 1)))
            #expect(!retry.wasDeduplicated)
            try await subject.transport.reject(claimed)
            try await subject.transport.flush()
            #expect(Self.numbers(try await subject.transport.get(limit: 10)) == [1])
            #expect((try await subject.other.send(Self.keyed(2, "sync", whileHandling: true))).wasDeduplicated)
        }
    }

    @Test("releasing a claimed message whose key has a newer waiting message keeps only the newer", arguments: Kind.allCases)
    func releaseAfterDuplicate(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            _ = try await subject.transport.send(Self.keyed(1, "fetch"))
            let claimed = try await subject.transport.get(limit: 1)
            _ = try await subject.other.send(Self.keyed(2, "fetch"))
            try await subject.transport.release(claimed)
            #expect(try await subject.transport.statistics().total == 1)
            #expect(Self.numbers(try await subject.transport.get(limit: 10)) == [2])
        }
    }

    @Test("a message parked in a failure transport is never deduplicated: every failure is kept", arguments: Kind.allCases)
    func failuresAreKept(kind: Kind) async throws {
        try await withSubject(kind) { subject async throws in
            for number in 1...2 {
                let parked = Self.keyed(number, "mail").with(SentToFailureTransportStamp(originalTransportName: "async"))
                let sent = try await subject.transport.send(parked)
                #expect(!sent.wasDeduplicated)
            }
            #expect(try await subject.transport.statistics().total == 2)
        }
    }
}

/// Tables made before deduplication existed are upgraded in place, their messages kept.
@Suite("Deduplication on tables made before it")
struct DeduplicationUpgradeTests {
    @Test("an SQLite table without the deduplication columns gets them; its messages are kept")
    func sqlite() async throws {
        let directory = try TemporaryDirectory("upgrade")
        let path = directory.file("old.sqlite")
        let old = SQLiteConnection(path: path)
        try await old.execute("""
            CREATE TABLE messenger_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, headers TEXT NOT NULL,
                queue_name TEXT NOT NULL, created_at INTEGER NOT NULL, available_at INTEGER NOT NULL, delivered_at INTEGER,
                delivery_count INTEGER NOT NULL DEFAULT 0, claimed_by TEXT);
            INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at)
                VALUES ('{"number":1}', '{"type":"Test.Numbered"}', 'default', 0, 0);
            """)
        await old.close()
        let transport = SQLiteTransport(name: "async", connection: SQLiteConnection(path: path), options: SQLiteTransportOptions(), serializer: JSONSerializer(registry: .numbered))
        #expect(!(try await transport.send(TransportConformanceTests.keyed(2, "k"))).wasDeduplicated)
        #expect((try await transport.send(TransportConformanceTests.keyed(3, "k"))).wasDeduplicated)
        #expect(TransportConformanceTests.numbers(try await transport.get(limit: 10)) == [1, 2])
        await transport.close()
        directory.remove()
    }

    @Test("a PostgreSQL table without the deduplication columns gets them; its messages are kept")
    func postgres() async throws {
        let table = TestPostgres.uniqueTable("upgrade")
        let admin = try PostgresConnection(url: try TestPostgres.url)
        try await admin.execute("""
            CREATE TABLE \(table) (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL, headers TEXT NOT NULL, queue_name VARCHAR(190) NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(), available_at TIMESTAMPTZ NOT NULL, delivered_at TIMESTAMPTZ NULL,
                delivery_count INT NOT NULL DEFAULT 0, claimed_by BIGINT NULL);
            INSERT INTO \(table) (body, headers, queue_name, available_at) VALUES ('{"number":1}', '{"type":"Test.Numbered"}', 'default', now());
            """)
        var options = PostgresTransportOptions()
        options.tableName = table
        let transport = PostgresTransport(name: "async", info: try PostgresConnectionInfo(dsn: try DSN(parsing: try TestPostgres.url)), options: options, serializer: JSONSerializer(registry: .numbered))
        #expect(!(try await transport.send(TransportConformanceTests.keyed(2, "k"))).wasDeduplicated)
        #expect((try await transport.send(TransportConformanceTests.keyed(3, "k"))).wasDeduplicated)
        #expect(TransportConformanceTests.numbers(try await transport.get(limit: 10)) == [1, 2])
        await transport.close()
        try await admin.execute("DROP TABLE \(table)")
        await admin.close()
    }
}
