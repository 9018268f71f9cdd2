import Foundation
import Messenger
@testable import MessengerPostgres
import MessengerTestSupport
import Synchronization
import Testing

@Suite("PostgreSQL read-ahead, reclaiming in batches, parameter arrays", .serialized, .timeLimit(.minutes(2)))
struct PostgresReadAheadTests {
    @Test("a full claim starts the next one; the next get takes it; flush gives back what no get took")
    func readAhead() async throws {
        let fixture = try PostgresFixture()
        let queue = fixture.transport()
        let observer = fixture.transport()
        _ = try await queue.send(contentsOf: (1...10).map { Envelope(Numbered(number: $0)) })
        #expect(numbers(try await queue.get(limit: 3)) == [1, 2, 3])
        #expect(await queue.readAheadCount() == 3)
        #expect(try await observer.statistics().inFlight == 6)
        #expect(numbers(try await queue.get(limit: 3)) == [4, 5, 6])
        #expect(await queue.readAheadCount() == 3)
        #expect(try await observer.statistics().inFlight == 9)
        try await queue.flush()
        #expect(await queue.readAheadCount() == nil)
        let stats = try await observer.statistics()
        #expect((stats.total, stats.inFlight, stats.ready) == (10, 6, 4))
        // Given back, they count no delivery: another worker gets them as first deliveries.
        let next = try await observer.get(limit: 5)
        #expect(numbers(next) == [7, 8, 9, 10])
        #expect(next.map { $0.last(DeliveryCountStamp.self)?.count } == [1, 1, 1, 1])
        await fixture.drop()
    }

    @Test("a claim that comes back short, or a limit of one, reads nothing ahead; read_ahead=false never does", arguments: [
        (true, 5, 3), (true, 1, 3), (false, 2, 6),
    ])
    func noReadAhead(readAhead: Bool, limit: Int, sent: Int) async throws {
        let fixture = try PostgresFixture { $0.readAhead = readAhead }
        let queue = fixture.transport()
        _ = try await queue.send(contentsOf: (1...sent).map { Envelope(Numbered(number: $0)) })
        let claimed = try await queue.get(limit: limit)
        #expect(claimed.count == min(limit, sent))
        #expect(await queue.readAheadCount() == nil)
        #expect(try await fixture.transport().statistics().inFlight == claimed.count)
        await fixture.drop()
    }

    @Test("a worker that stops gives back what it read ahead: nothing stays claimed")
    func workerStop() async throws {
        let fixture = try PostgresFixture { $0.prefetch = 4 }
        let queue = fixture.transport()
        _ = try await queue.send(contentsOf: (1...40).map { Envelope(Numbered(number: $0)) })
        let handled = Mutex<[Int]>([])
        var registry = MessageRegistry()
        registry.handle(Numbered.self, name: "log") { message, _ in handled.withLock { $0.append(message.number) } }
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: [:], senders: [:]))
        let worker = Worker(transports: [WorkerTransport(name: "async", transport: queue)], bus: bus,
                            options: WorkerOptions(limit: 10, sleep: .milliseconds(10), maxBatchSize: 4))
        #expect(await worker.run() == .messageLimit)
        let stats = try await fixture.transport().statistics()
        #expect((stats.total, stats.inFlight) == (30, 0))
        #expect(handled.withLock { $0 } == Array(1...10))
        await queue.close()
        await fixture.drop()
    }

    @Test("a dead worker's claims are taken back one after another, not one a second")
    func abandonedOneAfterAnother() async throws {
        let fixture = try PostgresFixture { $0.readAhead = false }
        let dying = fixture.transport()
        _ = try await dying.send(contentsOf: (1...10).map { Envelope(Numbered(number: $0)) })
        #expect(try await dying.get(limit: 10).count == 10)
        try await fixture.kill(dying)
        let survivor = fixture.transport()
        var taken: [Int] = []
        // Each comes alone (its start is then certain), and the next look follows at once: were the
        // once-a-second pace kept, a get would claim ready rows (none) and come back empty.
        for _ in 0..<10 {
            let batch = try await survivor.get(limit: 3)
            #expect(batch.count == 1)
            taken += numbers(batch)
        }
        #expect(taken.sorted() == Array(1...10))
        await fixture.drop()
    }

    @Test("after a reconnection, rows claimed by a statement whose answer was lost are given back; what the worker holds stays its own")
    func lostAnswerClaimsGivenBack() async throws {
        let fixture = try PostgresFixture { $0.readAhead = false }
        let queue = fixture.transport()
        _ = try await queue.send(contentsOf: (1...3).map { Envelope(Numbered(number: $0)) })
        let held = try await queue.get(limit: 1)
        #expect(numbers(held) == [1])
        // A claim of 2 and 3 that reached the database, whose answer never came back.
        let admin = fixture.connection()
        try await admin.query("UPDATE \(fixture.options.tableName) SET delivered_at = now(), delivery_count = delivery_count + 1, claimed_by = $1 WHERE id > $2",
                              [.int(queue.table.owner), .int(Int64(held[0].last(TransportMessageIdStamp.self)!.id)!)])
        try await fixture.endSessionByServer(of: queue)
        // The next call finds the session gone before sending anything, reconnects under the same key
        // and gives those rows back, uncounted, before its own claim takes them.
        let again = try await queue.get(limit: 10)
        #expect(numbers(again) == [2, 3])
        #expect(again.map { $0.last(DeliveryCountStamp.self)?.count } == [1, 1])
        for envelope in held + again { try await queue.ack(envelope) }
        try await queue.flush()
        #expect(try await queue.statistics().total == 0)
        await admin.close()
        await queue.close()
        await fixture.drop()
    }

    @Test("text arrays travel in binary: empty, one item, items with quotes, braces, commas and NUL-free UTF-8")
    func binaryArrays() async throws {
        let connection = PostgresConnection(info: try PostgresConnectionInfo(dsn: try DSN(parsing: try TestPostgres.url)))
        for items in [[], ["one"], [#"a "b" \ c"#, "{x}, y", "é 🎓", ""]] {
            for prepare in [true, false] {
                let rows = try await connection.query("SELECT cardinality($1::text[]), i FROM unnest($1::text[]) WITH ORDINALITY AS u(i, n) RIGHT JOIN (SELECT 1) one ON true ORDER BY n",
                                                      [.array(items)], prepare: prepare)
                #expect(rows.rows.first?[0] == String(items.count))
                #expect(rows.rows.compactMap { $0[1] } == items)
            }
        }
        await connection.close()
    }

    @Test("bodies with quotes, backslashes, braces, commas, new lines and non-ASCII text survive a batch insert")
    func arrayEscaping() async throws {
        let fixture = try PostgresFixture()
        var registry = MessageRegistry()
        registry.register(Labelled.self)
        let queue = PostgresTransport(name: "async", info: fixture.info, options: fixture.options, serializer: JSONSerializer(registry: registry))
        let labels = [#"a "quoted" word"#, #"back\slash \\ and \""#, "{braces}, commas,", "line\nbreak\ttab", "été 🎓 ü", "", "NULL"]
        _ = try await queue.send(contentsOf: labels.map { Envelope(Labelled(label: $0)) })
        let received = try await queue.get(limit: 10)
        #expect(received.compactMap { ($0.message as? Labelled)?.label } == labels)
        await queue.close()
        await fixture.drop()
    }
}

private struct Labelled: Message {
    static let messageName = "Test.Labelled"
    var label: String
}
