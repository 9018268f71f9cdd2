import Foundation
import Messenger
import MessengerPostgres
import MessengerSQLite
import MessengerTestSupport
import Testing

/// The transport contract, stated once and run on every transport that stores messages.
@Suite("Transport contract")
struct TransportConformanceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case inMemory = "in-memory"
        case sqlite
        case postgres
        /// PostgreSQL through PgBouncer in transaction pooling mode (`pooler=transaction`).
        case pgbouncer = "postgres via pgbouncer"
        var testDescription: String { rawValue }

        /// The kinds that store in a database (not the in-memory transport).
        static let databases: [Kind] = [.sqlite, .postgres, .pgbouncer]
    }

    /// A transport of the given kind on a fresh store, with time that the test moves by hand.
    struct Subject {
        let transport: any ListableReceiver & MessageCountingTransport
        /// A second handle on the same store, as another worker would have.
        let other: any ListableReceiver & Transport
        let clock: TestClock
        let directory: TemporaryDirectory
        /// PostgreSQL keeps time on the server: moving the clock forward shifts the stored times back.
        let postgres: PostgresTransport?

        /// The same store's failure transport (queue `failed`), for parking.
        let failure: any ListableReceiver & Transport
        /// The transport's name in its status records (unique per subject on the shared PostgreSQL).
        let name: String
        /// The limits both transports enforce.
        let limits: FlowLimits

        init(_ kind: Kind, records: RecordOptions = RecordOptions(), queue: String? = nil, limits: FlowLimits = FlowLimits()) throws {
            clock = TestClock()
            self.limits = limits
            directory = try TemporaryDirectory("conformance")
            switch kind {
            case .postgres, .pgbouncer:
                var options = PostgresTransportOptions()
                if kind == .pgbouncer { options.pooler = .transaction }
                options.tableName = TestPostgres.uniqueTable("conformance")
                options.redeliverTimeoutSeconds = 60
                options.records = records
                options.queueName = queue ?? options.tableName
                let info = try PostgresConnectionInfo(dsn: try DSN(parsing: kind == .pgbouncer ? try TestPostgres.pgbouncerURL : try TestPostgres.url))
                let serializer = JSONSerializer(registry: .numbered)
                name = options.tableName
                let first = PostgresTransport(name: name, info: info, options: options, serializer: serializer, limits: limits)
                (transport, other, postgres) = (first, PostgresTransport(name: name, info: info, options: options, serializer: serializer, limits: limits), first)
                options.queueName = options.tableName + "_failed"
                failure = PostgresTransport(name: name + "_failed", info: info, options: options, serializer: serializer)
            case .inMemory:
                name = "in-memory"
                let memory = InMemoryTransport(name: name, recordOptions: records, now: clock.closure)
                (transport, other, postgres) = (memory, memory, nil)
                failure = InMemoryTransport(name: "failed", recordOptions: records, now: clock.closure)
            case .sqlite:
                let serializer = JSONSerializer(registry: .numbered)
                var options = SQLiteTransportOptions()
                options.redeliverTimeoutSeconds = 60
                options.records = records
                if let queue { options.queueName = queue }
                let path = directory.file("queue.sqlite")
                name = "async"
                transport = SQLiteTransport(name: name, connection: SQLiteConnection(path: path), options: options, serializer: serializer, limits: limits, now: clock.closure)
                other = SQLiteTransport(name: name, connection: SQLiteConnection(path: path), options: options, serializer: serializer, limits: limits, now: clock.closure)
                options.queueName = "failed"
                failure = SQLiteTransport(name: "failed", connection: SQLiteConnection(path: path), options: options, serializer: serializer, now: clock.closure)
                postgres = nil
            }
        }

        /// Another transport instance on the subject's store and queue, with other limits (a worker
        /// started with a new configuration).
        func reopened(limits: FlowLimits) throws -> any Receiver {
            let serializer = JSONSerializer(registry: .numbered)
            if let postgres {
                return PostgresTransport(name: name, info: postgres.connection.info, options: postgres.options, serializer: serializer, limits: limits)
            }
            let sqlite = try #require(transport as? SQLiteTransport)
            return SQLiteTransport(name: name, connection: SQLiteConnection(path: sqlite.connection.path), options: sqlite.options, serializer: serializer,
                                   limits: limits, now: clock.closure)
        }

        /// A worker that starts now on the subject's store, with its limits: it has not looked at the
        /// table yet (a PostgreSQL worker that found messages held back by flow control looks again
        /// only after a short while, unless it moved them on itself).
        func withNewWorker<T>(_ body: (any Receiver) async throws -> T) async throws -> T {
            try await withReopened(limits: limits, body)
        }

        /// Runs `body` with `reopened(limits:)`, closed afterwards.
        func withReopened<T>(limits: FlowLimits, _ body: (any Receiver) async throws -> T) async throws -> T {
            let worker = try reopened(limits: limits)
            do {
                let result = try await body(worker)
                await (worker as? any ClosableTransport)?.close()
                return result
            } catch {
                await (worker as? any ClosableTransport)?.close()
                throw error
            }
        }

        /// The subject's queue as its records name it.
        var queue: String {
            if let postgres { return postgres.options.queueName }
            return (transport as? SQLiteTransport)?.options.queueName ?? name
        }

        /// The subject's status records.
        var records: any MessageRecordStore { transport as! any MessageRecordStore }

        func advance(by seconds: Double) async throws {
            clock.advance(by: seconds)
            guard let postgres else { return }
            let shift = "\(seconds) seconds"
            try await postgres.connection.execute("""
                UPDATE \(postgres.options.tableName) SET created_at = created_at - interval '\(shift)',
                available_at = available_at - interval '\(shift)', delivered_at = delivered_at - interval '\(shift)';
                UPDATE messenger_rate_limits SET updated_at = updated_at - interval '\(shift)' WHERE name = 'queue:\(postgres.options.queueName)';
                UPDATE messenger_records SET created_at = created_at - interval '\(shift)', available_at = available_at - interval '\(shift)',
                started_at = started_at - interval '\(shift)', finished_at = finished_at - interval '\(shift)'
                WHERE transport IN ('\(name)', '\(name)_failed')
                """)
        }

        func cleanUp() async {
            directory.remove()
            if let postgres {
                try? await postgres.connection.execute("""
                    DROP TABLE IF EXISTS \(postgres.options.tableName); DELETE FROM messenger_records WHERE transport IN ('\(name)', '\(name)_failed')
                    """)
                try? await postgres.connection.execute("DELETE FROM messenger_rate_limits WHERE name = 'queue:\(postgres.options.queueName)'")
            }
        }

        /// After `before` more seconds nothing is due yet; `after` seconds later, exactly `numbers` are.
        /// On PostgreSQL, real time flows on beside the moved clock: what has flowed since `since`
        /// (just after the due time was set) counts in `before`, and "nothing yet" is checked only when
        /// the look ended less than `before` + 1 s after `since` in all (a loaded machine, or a lock
        /// waited for, can stall a statement for seconds); what it took counts in the end.
        func expectDue(_ numbers: [Int], notAfter before: Double, butAfter after: Double, since: Date) async throws {
            let flowed = postgres == nil ? 0 : Date().timeIntervalSince(since)
            let shift = max(0, before - flowed)
            try await advance(by: shift)
            let early = try await transport.get(limit: 10)
            let elapsed = shift + (postgres == nil ? 0 : Date().timeIntervalSince(since))
            if elapsed < before + 1 { #expect(early.isEmpty, "due \(elapsed) s after it was set") }
            try await advance(by: after)
            #expect(TransportConformanceTests.numbers(early + (try await transport.get(limit: 10))) == numbers)
        }

        func send(_ numbers: ClosedRange<Int>, delay: Int? = nil) async throws {
            for number in numbers {
                _ = try await transport.send(Envelope(Numbered(number: number), stamps: delay.map { [DelayStamp(milliseconds: $0)] } ?? []))
            }
        }
    }

    /// Runs `body` on a fresh subject and removes its store afterwards, whether `body` throws or not.
    func withSubject(_ kind: Kind, records: RecordOptions = RecordOptions(), queue: String? = nil, limits: FlowLimits = FlowLimits(),
                     _ body: (Subject) async throws -> Void) async throws {
        let subject = try Subject(kind, records: records, queue: queue, limits: limits)
        do {
            try await body(subject)
            await subject.cleanUp()
        } catch {
            await subject.cleanUp()
            throw error
        }
    }

    static func numbers(_ envelopes: [Envelope]) -> [Int] { envelopes.compactMap { ($0.message as? Numbered)?.number } }

    @Test("sent messages come back in order, with an id, up to the limit", arguments: Kind.allCases)
    func sendAndGet(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            try await subject.send(1...5)
            let first = try await subject.transport.get(limit: 3)
            #expect(Self.numbers(first) == [1, 2, 3])
            #expect(first.allSatisfy { $0.last(TransportMessageIdStamp.self) != nil })
            #expect(first.allSatisfy { $0.last(DeliveryCountStamp.self)?.count == 1 })
            #expect(Self.numbers(try await subject.transport.get(limit: 10)) == [4, 5])
            #expect(try await subject.transport.get(limit: 10).isEmpty)
        }
    }

    @Test("a claimed message is not handed to another consumer", arguments: Kind.allCases)
    func claimIsExclusive(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            try await subject.send(1...2)
            let mine = try await subject.transport.get(limit: 1)
            let theirs = try await subject.other.get(limit: 10)
            #expect(Self.numbers(mine) == [1])
            #expect(Self.numbers(theirs) == [2])
        }
    }

    @Test("ack and reject remove the message for good", arguments: Kind.allCases)
    func ackAndReject(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            try await subject.send(1...2)
            let claimed = try await subject.transport.get(limit: 2)
            try await subject.transport.ack(claimed[0])
            try await subject.transport.reject(claimed[1])
            try await subject.transport.flush()
            #expect(try await subject.transport.statistics().total == 0)
            try await subject.advance(by: 3600 * 24)
            #expect(try await subject.transport.get(limit: 10).isEmpty)
        }
    }

    @Test("a delayed message becomes available when due, not before", arguments: Kind.allCases)
    func delayed(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            try await subject.send(1...1, delay: 60_000)
            // After the send: its set-up may have waited behind other transports' before the due time was set.
            let sent = Date()
            #expect(try await subject.transport.get(limit: 10).isEmpty)
            let stats = try await subject.transport.statistics()
            #expect((stats.total, stats.ready, stats.delayed) == (1, 0, 1))
            try await subject.expectDue([1], notAfter: 50, butAfter: 11, since: sent)
        }
    }

    @Test("priorities: higher first, ties in dispatch order; a level is worth a minute of waiting; a delayed message waits for its due time", arguments: Kind.allCases)
    func priorities(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            func send(_ number: Int, priority: Int? = nil, delay: Int? = nil) async throws {
                _ = try await subject.transport.send(Envelope(Numbered(number: number), stamps: (priority.map { [PriorityStamp($0)] } ?? [])
                    + (delay.map { [DelayStamp(milliseconds: $0)] } ?? [])))
            }
            try await send(1)
            try await subject.advance(by: 1)
            try await send(2)
            try await send(3, priority: 2)
            try await send(4, priority: 2)
            try await send(5, priority: 1)
            let first = try await subject.transport.get(limit: 10)
            #expect(Self.numbers(first) == [3, 4, 5, 1, 2])
            for envelope in first { try await subject.transport.ack(envelope) }
            // Aging: a message that waited longer than a level (60 s) goes before a new priority-1 one.
            try await send(6)
            try await subject.advance(by: 90)
            try await send(7, priority: 1)
            try await send(8)
            let aged = try await subject.transport.get(limit: 10)
            #expect(Self.numbers(aged) == [6, 7, 8])
            for envelope in aged { try await subject.transport.ack(envelope) }
            // A priority does not make a delayed message due sooner.
            try await send(9, priority: 5, delay: 30_000)
            try await send(10)
            let undelayed = try await subject.transport.get(limit: 10)
            #expect(Self.numbers(undelayed) == [10])
            for envelope in undelayed { try await subject.transport.ack(envelope) }
            try await subject.advance(by: 31)
            let due = try await subject.transport.get(limit: 10)
            #expect(Self.numbers(due) == [9])
            #expect(due.first?.last(PriorityStamp.self)?.priority == 5)
        }
    }

    @Test("released messages are available again at once, their delivery not counted", arguments: Kind.allCases)
    func release(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            try await subject.send(1...3)
            let claimed = try await subject.transport.get(limit: 3)
            try await subject.transport.release(Array(claimed[1...]))
            let again = try await subject.other.get(limit: 10)
            #expect(Self.numbers(again) == [2, 3])
            #expect(again.allSatisfy { $0.last(DeliveryCountStamp.self)?.count == 1 })
        }
    }

    @Test("statistics count ready, delayed and in-flight messages and the oldest's age", arguments: Kind.allCases)
    func statistics(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let start = Date()
            try await subject.send(1...3)
            try await subject.advance(by: 10)
            try await subject.send(4...4, delay: 60_000)
            _ = try await subject.transport.get(limit: 1)
            let stats = try await subject.transport.statistics()
            #expect((stats.total, stats.ready, stats.delayed, stats.inFlight) == (4, 2, 1, 1))
            // The moved 10 s, plus on PostgreSQL the real time the steps took.
            let flowed = subject.postgres == nil ? 0 : Date().timeIntervalSince(start)
            #expect((10.0..<(11 + flowed)).contains(stats.oldestAgeSeconds ?? 0))
        }
    }

    @Test("stored messages can be listed, found by id and removed", arguments: Kind.allCases)
    func listFindRemove(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            try await subject.send(1...3)
            let listed = try await subject.transport.list(limit: 2)
            #expect(Self.numbers(listed) == [1, 2])
            let id = try #require(listed[1].last(TransportMessageIdStamp.self)?.id)
            #expect((try await subject.transport.find(id: id))?.message as? Numbered == Numbered(number: 2))
            #expect(try await subject.transport.remove(id: id) == .removed)
            #expect(try await subject.transport.remove(id: id) == .missing)
            #expect(try await subject.transport.find(id: id) == nil)
            #expect(try await subject.transport.find(id: "not-a-number") == nil)
            #expect(Self.numbers(try await subject.transport.list(limit: 10)) == [1, 3])
        }
    }

    @Test("a message claimed by id goes to one caller only; while claimed it is neither claimed again nor removed", arguments: Kind.allCases)
    func claimById(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            try await subject.send(1...2)
            let id = try #require(try await subject.transport.list(limit: 1).first?.last(TransportMessageIdStamp.self)?.id)
            guard case .claimed(let envelope) = try await subject.transport.claim(id: id) else {
                Issue.record("the first claim of message \(id) did not succeed")
                return
            }
            #expect(envelope.message as? Numbered == Numbered(number: 1))
            guard case .held = try await subject.transport.claim(id: id) else {
                Issue.record("a second claim of a claimed message did not answer .held")
                return
            }
            #expect(try await subject.transport.remove(id: id) == .held)
            // Nor does a worker's claim take it.
            #expect(Self.numbers(try await subject.other.get(limit: 10)) == [2])
            try await subject.transport.ack(envelope)
            try await subject.transport.flush()
            guard case .missing = try await subject.transport.claim(id: id) else {
                Issue.record("an acknowledged message could still be claimed")
                return
            }
            #expect(try await subject.transport.remove(id: "424242") == .missing)
        }
    }

    @Test("a claim older than redeliver_timeout can be claimed or removed by id (its holder is presumed dead), uncounted", arguments: Kind.databases)
    func claimByIdOfExpiredClaim(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            try await subject.send(1...1)
            let held = try await subject.transport.get(limit: 1)
            let id = try #require(held.first?.last(TransportMessageIdStamp.self)?.id)
            #expect(try await subject.other.remove(id: id) == .held)
            try await subject.advance(by: 61)
            guard case .claimed(let envelope) = try await subject.other.claim(id: id) else {
                Issue.record("an expired claim was not taken over by id")
                return
            }
            // The holder had started it, but an operator's retry by id is not a crash loop: not counted.
            #expect(envelope.last(DeliveryCountStamp.self)?.abandonedStarts == 0)
        }
    }

    @Test("a retry replaces its original in one step, written with the next claim or flush", arguments: Kind.databases)
    func replace(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let replacing = try #require(subject.transport as? any ReplacingReceiver & Transport)
            try await subject.send(1...1)
            let original = try #require(try await replacing.get(limit: 1).first)
            #expect(try replacing.replace(original, with: Envelope(Numbered(number: 2)), via: replacing))
            // Nothing written yet: a crash now leaves only the original, to be delivered again.
            #expect(try await subject.transport.statistics().total == 1)
            #expect(try await subject.transport.statistics().inFlight == 1)
            try await replacing.flush()
            let stats = try await subject.transport.statistics()
            #expect((stats.total, stats.inFlight, stats.ready) == (1, 0, 1))
            #expect(Self.numbers(try await subject.other.get(limit: 10)) == [2])
            // A transport of another store cannot take part in the same transaction.
            #expect(try replacing.replace(original, with: Envelope(Numbered(number: 3)), via: InMemoryTransport()) == false)
        }
    }

    @Test("a replacement whose original another worker has taken meanwhile is dropped: that worker handles it", arguments: Kind.databases)
    func replaceLostClaim(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let replacing = try #require(subject.transport as? any ReplacingReceiver & Transport)
            try await subject.send(1...1)
            let original = try #require(try await replacing.get(limit: 1).first)
            try await subject.advance(by: 61)
            #expect(Self.numbers(try await subject.other.get(limit: 10)) == [1])
            #expect(try replacing.replace(original, with: Envelope(Numbered(number: 2)), via: replacing))
            try await replacing.flush()
            let stats = try await subject.transport.statistics()
            #expect((stats.total, stats.inFlight) == (1, 1))
        }
    }

    @Test("messages taken back from a dead worker come one at a time; only a delivery certain to have started counts against the poison check",
          arguments: Kind.databases)
    func abandonedStarts(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            try await subject.send(1...3)
            // The worker starts the first message of a batch at once; the others may never start.
            #expect(Self.numbers(try await subject.transport.get(limit: 3)) == [1, 2, 3])
            try await subject.advance(by: 61)
            var recovered: [Int: DeliveryCountStamp] = [:]
            for _ in 0..<3 {
                let batch = try await subject.other.get(limit: 10)
                #expect(batch.count == 1)
                for envelope in batch { recovered[Self.numbers([envelope])[0]] = envelope.last(DeliveryCountStamp.self) }
            }
            #expect(recovered[1]?.abandonedStarts == 1)
            #expect(recovered[2]?.abandonedStarts == 0)
            #expect(recovered[3]?.abandonedStarts == 0)
            #expect(recovered.values.allSatisfy { $0.count == 2 })
            // Each of them was started at once by the worker that took it back: if it dies too, all count.
            try await subject.advance(by: 61)
            for _ in 0..<3 {
                let batch = try await subject.other.get(limit: 10)
                #expect(batch.count == 1)
                for envelope in batch { recovered[Self.numbers([envelope])[0]] = envelope.last(DeliveryCountStamp.self) }
            }
            #expect(recovered.mapValues(\.abandonedStarts) == [1: 2, 2: 1, 3: 1])
        }
    }
}
