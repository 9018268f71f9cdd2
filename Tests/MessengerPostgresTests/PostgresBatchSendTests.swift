import Foundation
import Messenger
import MessengerPostgres
import MessengerTestSupport
import Testing

@Suite("PostgreSQL batches larger than one statement", .serialized, .timeLimit(.minutes(2)))
struct PostgresBatchSendTests {
    @Test("2,500 messages are stored in order, each with its own id")
    func inParts() async throws {
        let fixture = try PostgresFixture { $0.prefetch = 3000 }
        let queue = fixture.transport()
        let sent = try await queue.send(contentsOf: (1...2500).map { Envelope(Numbered(number: $0)) })
        let ids = sent.compactMap { $0.last(TransportMessageIdStamp.self).flatMap { Int64($0.id) } }
        #expect(ids.count == 2500)
        #expect(ids == ids.sorted() && Set(ids).count == 2500)
        #expect(numbers(try await queue.get(limit: 3000)) == Array(1...2500))
        await fixture.drop()
    }

    @Test("300 sends at once from one transport: each stored once, each answered with its own row's id")
    func concurrentSends() async throws {
        let fixture = try PostgresFixture { $0.prefetch = 1000 }
        let queue = fixture.transport()
        try await queue.setup()
        let sent = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for number in 1...300 {
                group.addTask { (number, try await queue.send(Envelope(Numbered(number: number))).last(TransportMessageIdStamp.self)?.id ?? "") }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        let received = try await queue.get(limit: 1000)
        #expect(received.count == 300)
        let stored = Dictionary(uniqueKeysWithValues: received.map { (($0.message as! Numbered).number, $0.last(TransportMessageIdStamp.self)!.id) })
        #expect(stored == sent)
        await queue.close()
        await fixture.drop()
    }

    @Test("while a large batch is stored, other sends and claims on the same transport go on")
    func batchDoesNotBlockOthers() async throws {
        let fixture = try PostgresFixture { $0.prefetch = 10_000 }
        let queue = fixture.transport()
        try await queue.setup()
        let singles = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { try await queue.send(contentsOf: (1...5000).map { Envelope(Numbered(number: $0)) }).count }
            for number in 5001...5050 { group.addTask { _ = try await queue.send(Envelope(Numbered(number: number))); return 1 } }
            group.addTask { try await queue.get(limit: 10).count * 0 }
            return try await group.reduce(0, +)
        }
        #expect(singles == 5050)
        #expect(try await fixture.transport().statistics().total == 5050)
        await queue.close()
        await fixture.drop()
    }

    @Test("a message that cannot be encoded stores none of the batch; inside a caller's transaction, a rollback stores none")
    func allOrNothing() async throws {
        let fixture = try PostgresFixture()
        var registry = MessageRegistry.numbered
        registry.register(Measured.self)
        let queue = PostgresTransport(name: "async", info: fixture.info, options: fixture.options, serializer: JSONSerializer(registry: registry))
        var batch = (1...2500).map { Envelope(Measured(value: Double($0))) }
        batch[1700] = Envelope(Measured(value: .nan))
        await #expect(throws: MessengerError.self) { _ = try await queue.send(contentsOf: batch) }
        #expect(try await queue.statistics().total == 0)

        let app = fixture.connection()
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await app.withTransaction {
                _ = try await queue.send(contentsOf: (1...2500).map { Envelope(Measured(value: Double($0))) })
                throw Abort()
            }
        }
        #expect(try await queue.statistics().total == 0)
        try await app.withTransaction {
            _ = try await queue.send(contentsOf: (1...1500).map { Envelope(Measured(value: Double($0))) })
        }
        #expect(try await queue.statistics().total == 1500)
        await app.close()
        await queue.close()
        await fixture.drop()
    }
}

private struct Measured: Message {
    static let messageName = "Test.Measured"
    var value: Double
}
