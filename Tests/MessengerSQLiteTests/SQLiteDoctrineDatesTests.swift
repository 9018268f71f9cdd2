import Foundation
import Messenger
import MessengerSQLite
import MessengerTestSupport
import Testing

/// An SQLite table shared with Symfony Messenger's Doctrine transport (`serializer: symfony`): its
/// dates as Doctrine writes and compares them, the times this side works with beside them.
@Suite("SQLite transport with Doctrine's dates")
struct SQLiteDoctrineDatesTests {
    static let symfony = SymfonySerializer(registry: .numbered, typeMap: SymfonyTypeMap(["App\\Message\\Numbered": Numbered.messageName]))

    func transport(_ path: String, clock: TestClock, serializer: any Serializer = Self.symfony) -> SQLiteTransport {
        SQLiteTransport(name: "async", connection: SQLiteConnection(path: path), options: SQLiteTransportOptions(), serializer: serializer, now: clock.closure)
    }

    /// The stored dates of each row, by id: Doctrine's three columns (text) and the milliseconds.
    func dates(_ queue: SQLiteTransport) async throws -> [[String?]] {
        try await queue.connection.query("""
            SELECT created_at, available_at, delivered_at, created_ms, available_ms, delivered_ms, claimed_by FROM messenger_messages ORDER BY id
            """).map { $0.map { $0.string ?? $0.int.map(String.init) } }
    }

    @Test("Doctrine's UTC text and the milliseconds: due at once is due at once for Symfony, a later message is never due early there")
    func writtenAsDoctrine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock(try Date("2026-11-28T15:41:36.456Z", strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
        let queue = transport(directory.file("q.sqlite"), clock: clock)
        _ = try await queue.send(Envelope(Numbered(number: 1)))
        _ = try await queue.send(Envelope(Numbered(number: 2), stamps: [DelayStamp(milliseconds: 1500)]))
        let now = "1795880496456"
        #expect(try await dates(queue) == [
            ["2026-11-28 15:41:36", "2026-11-28 15:41:36", nil, now, now, nil, nil],
            ["2026-11-28 15:41:36", "2026-11-28 15:41:38", nil, now, "1795880497956", nil, nil],
        ])
        // Claimed: both forms of the claim time.
        #expect(try await queue.get(limit: 1).count == 1)
        let claimed = try await dates(queue)[0]
        #expect(claimed[2] == "2026-11-28 15:41:36" && claimed[5] == now && claimed[6] != nil)
        clock.advance(by: 1.4)
        #expect(try await queue.get(limit: 10).isEmpty)
        clock.advance(by: 0.2)
        #expect(try await queue.get(limit: 10).count == 1)
        await queue.close()
    }

    @Test("a row Symfony inserts (text dates alone) gets its milliseconds; Symfony's claim of a row takes it from this side's worker")
    func symfonysRows() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock(try Date("2026-11-28T15:41:40Z", strategy: .iso8601))
        let queue = transport(directory.file("q.sqlite"), clock: clock)
        try await queue.setup()
        // As Doctrine's DBAL inserts: the body, the headers, the queue and two dates, nothing else.
        let encoded = try Self.symfony.encode(Envelope(Numbered(number: 7)))
        _ = try await queue.connection.query("""
            INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at) VALUES (?1, ?2, 'default', '2026-11-28 15:41:36', '2026-11-28 15:41:39')
            """, [.text(encoded.body), .text(encoded.headers)])
        #expect(try await dates(queue) == [["2026-11-28 15:41:36", "2026-11-28 15:41:39", nil, "1795880496000", "1795880499000", nil, nil]])
        let received = try await queue.get(limit: 1)
        #expect((received.first?.message as? Numbered)?.number == 7)
        #expect(try await dates(queue)[0][6] != nil)
        // Symfony claims it (its redeliver_timeout past): `delivered_at` alone, as Doctrine's get() writes it.
        _ = try await queue.connection.query("UPDATE messenger_messages SET delivered_at = '2026-11-28 16:45:00' WHERE id = 1")
        #expect(try await dates(queue)[0].suffix(2) == ["1795884300000", nil])
        await queue.close()
    }

    @Test("a table this transport kept in its own form is converted by a transport in Symfony's format; a JSON transport then refuses it, naming why")
    func convertedThenGuarded() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("q.sqlite")
        let clock = TestClock(try Date("2026-11-28T15:41:36Z", strategy: .iso8601))
        let json = transport(path, clock: clock, serializer: JSONSerializer(registry: .numbered))
        _ = try await json.send(Envelope(Numbered(number: 1)))
        _ = try await json.send(Envelope(Numbered(number: 2), stamps: [DelayStamp(milliseconds: 3_600_000)]))
        await json.close()
        let shared = transport(path, clock: clock)
        let statistics = try await shared.statistics()
        #expect((statistics.ready, statistics.delayed) == (1, 1))
        #expect(try await dates(shared).map { Array($0.prefix(2)) } == [["2026-11-28 15:41:36", "2026-11-28 15:41:36"], ["2026-11-28 15:41:36", "2026-11-28 16:41:36"]])
        // Written by the JSON serializer before: read as such, since both read the other's type.
        let received = try await shared.get(limit: 10)
        #expect(received.compactMap { ($0.message as? Numbered)?.number } == [1])
        await shared.close()
        let late = transport(path, clock: clock, serializer: JSONSerializer(registry: .numbered))
        let error = await #expect(throws: MessengerError.self) { _ = try await late.send(Envelope(Numbered(number: 3))) }
        #expect(error?.description.contains("every transport on it needs serializer: symfony") == true)
        await late.close()
    }
}
