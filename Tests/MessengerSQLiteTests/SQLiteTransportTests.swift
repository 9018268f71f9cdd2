import Foundation
import Logging
import Messenger
import MessengerSQLite
import MessengerTestSupport
import Testing

@Suite("SQLite transport")
struct SQLiteTransportTests {
    let serializer = JSONSerializer(registry: .numbered)

    func transport(_ path: String, clock: TestClock? = nil, _ configure: (inout SQLiteTransportOptions) -> Void = { _ in }) -> SQLiteTransport {
        var options = SQLiteTransportOptions()
        configure(&options)
        return SQLiteTransport(name: "async", connection: SQLiteConnection(path: path, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds),
                               options: options, serializer: serializer, now: clock?.closure ?? Date.init)
    }

    @Test("the file, its folder and table are created on first use, in WAL mode")
    func autoSetup() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("var/nested/messenger.sqlite")
        let queue = transport(path)
        _ = try await queue.send(Envelope(Numbered(number: 1)))
        #expect(FileManager.default.fileExists(atPath: path))
        let mode = try await queue.connection.query("PRAGMA journal_mode")
        #expect(mode.first?.first?.string == "wal")
    }

    @Test("with auto_setup off, nothing is created until setup() runs")
    func noAutoSetup() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let queue = transport(directory.file("q.sqlite")) { $0.autoSetup = false }
        let error = await #expect(throws: SQLiteError.self) { _ = try await queue.send(Envelope(Numbered(number: 1))) }
        #expect(error?.message.contains("no such table") == true)
        try await queue.setup()
        _ = try await queue.send(Envelope(Numbered(number: 1)))
        #expect(try await queue.statistics().total == 1)
    }

    @Test("two processes' connections draining one file claim every row exactly once")
    func exactlyOnceUnderConcurrency() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("q.sqlite")
        let producer = transport(path)
        for number in 1...2000 { _ = try await producer.send(Envelope(Numbered(number: number))) }
        let consumers = (0..<4).map { _ in transport(path) }
        // Every consumer holds a first batch before any goes on, so that all of them drain together
        // (a busy machine could otherwise let one connection take the whole file alone).
        let started = Barrier(parties: consumers.count)
        let claimed = try await withThrowingTaskGroup(of: [Int].self) { group in
            for consumer in consumers {
                group.addTask {
                    var mine: [Int] = []
                    while true {
                        let batch = try await consumer.get(limit: 7)
                        if mine.isEmpty { await started.arrive() }
                        if batch.isEmpty { return mine }
                        for envelope in batch {
                            mine.append((envelope.message as! Numbered).number)
                            try await consumer.ack(envelope)
                        }
                    }
                }
            }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        for consumer in consumers { try await consumer.flush() }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 2000)
        #expect(Set(all).count == 2000)
        #expect(claimed.filter { !$0.isEmpty }.count == 4)
        #expect(try await producer.statistics().total == 0)
    }

    @Test("an unacknowledged message is delivered again after redeliver_timeout; the late ack of its first owner deletes nothing")
    func redeliveryAndLateAck() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock()
        let path = directory.file("q.sqlite")
        let dead = transport(path, clock: clock) { $0.redeliverTimeoutSeconds = 30 }
        let alive = transport(path, clock: clock) { $0.redeliverTimeoutSeconds = 30 }
        _ = try await dead.send(Envelope(Numbered(number: 7)))
        let first = try #require(try await dead.get(limit: 1).first)
        clock.advance(by: 29)
        #expect(try await alive.get(limit: 1).isEmpty)
        clock.advance(by: 2)
        let second = try #require(try await alive.get(limit: 1).first)
        #expect(second.last(DeliveryCountStamp.self)?.count == 2)
        try await dead.ack(first)
        try await dead.flush()
        #expect(try await alive.statistics().total == 1)
        try await alive.ack(second)
        try await alive.flush()
        #expect(try await alive.statistics().total == 0)
    }

    @Test("keepalive holds a long-running message past redeliver_timeout")
    func keepalive() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock()
        let path = directory.file("q.sqlite")
        let worker = transport(path, clock: clock) { $0.redeliverTimeoutSeconds = 30 }
        let other = transport(path, clock: clock) { $0.redeliverTimeoutSeconds = 30 }
        _ = try await worker.send(Envelope(Numbered(number: 1)))
        let envelope = try #require(try await worker.get(limit: 1).first)
        for _ in 0..<4 {
            clock.advance(by: 20)
            try await worker.keepalive(envelope)
            #expect(try await other.get(limit: 1).isEmpty)
        }
    }

    @Test("queues share a table without seeing each other's messages; a receiver can read chosen queues")
    func queues() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("q.sqlite")
        let mail = transport(path) { $0.queueName = "mail" }
        let bulk = transport(path) { $0.queueName = "bulk" }
        _ = try await mail.send(Envelope(Numbered(number: 1)))
        _ = try await bulk.send(Envelope(Numbered(number: 2)))
        #expect(try await mail.get(limit: 10).compactMap { ($0.message as? Numbered)?.number } == [1])
        #expect(try await bulk.statistics().total == 1)
        let both = transport(path)
        _ = try await mail.send(Envelope(Numbered(number: 3)))
        #expect(try await both.get(limit: 10, fromQueues: ["bulk", "mail"]).compactMap { ($0.message as? Numbered)?.number } == [2, 3])
    }

    @Test("rows whose body or headers cannot be decoded come out as UndecodableMessage, the others unharmed")
    func garbageRows() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let queue = transport(directory.file("q.sqlite"))
        _ = try await queue.send(Envelope(Numbered(number: 1)))
        try await queue.connection.execute("""
            INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at) VALUES ('{"number":', '{"type":"Test.Numbered"}', 'default', 0, 0);
            INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at) VALUES ('{}', 'garbage', 'default', 0, 0);
            """)
        let envelopes = try await queue.get(limit: 10)
        #expect(envelopes.count == 3)
        let undecodable = envelopes.compactMap { $0.message as? UndecodableMessage }
        #expect(undecodable.count == 2)
        #expect(undecodable.contains { $0.body == #"{"number":"# && $0.error.contains("Test.Numbered") })
        #expect(undecodable.contains { $0.headers == "garbage" && $0.error.contains("headers") })
        #expect(envelopes.contains { ($0.message as? Numbered)?.number == 1 })
    }

    @Test("a database locked past the busy timeout is a clear error; nothing is lost and the next try works")
    func lockedDatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("q.sqlite")
        let queue = transport(path) { $0.busyTimeoutMilliseconds = 100 }
        _ = try await queue.send(Envelope(Numbered(number: 1)))
        let blocker = SQLiteConnection(path: path)
        try await blocker.execute("BEGIN IMMEDIATE")
        let sendError = await #expect(throws: SQLiteError.self) { _ = try await queue.send(Envelope(Numbered(number: 2))) }
        #expect(sendError?.isBusy == true)
        #expect(sendError?.description.contains("is locked") == true)
        #expect(sendError?.description.contains(path) == true)
        await #expect(throws: SQLiteError.self) { _ = try await queue.get(limit: 10) }
        try await blocker.execute("COMMIT")
        let got = try await queue.get(limit: 10)
        #expect(got.compactMap { ($0.message as? Numbered)?.number } == [1])
    }

    @Test("a file that cannot be opened is an error naming it, and a later call tries again")
    func cannotOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("blocker", "a file where a folder should be")
        let path = directory.file("blocker/q.sqlite")
        let queue = transport(path)
        let error = await #expect(throws: SQLiteError.self) { _ = try await queue.send(Envelope(Numbered(number: 1))) }
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("cannot open") == true)
        try FileManager.default.removeItem(atPath: directory.file("blocker"))
        _ = try await queue.send(Envelope(Numbered(number: 1)))
        #expect(try await queue.statistics().total == 1)
    }

    @Test("the stop-workers signal is stored in the database and read by any connection")
    func stopSignal() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("q.sqlite")
        let (one, two) = (transport(path), transport(path))
        #expect(try await two.lastStopRequest() == nil)
        let when = Date(timeIntervalSince1970: 1_900_000_000.5)
        try await one.requestWorkersStop(at: when)
        #expect(try await two.lastStopRequest() == when)
        #expect(one.stopSignalScope == two.stopSignalScope)
    }
}

@Suite("SQLite transport options")
struct SQLiteTransportOptionsTests {
    @Test("defaults: queue default, table messenger_messages, 3600 s redelivery, auto set-up, FULL sync")
    func defaults() throws {
        let options = try SQLiteTransportOptions([:], transport: "async")
        #expect(options == SQLiteTransportOptions())
        #expect((options.queueName, options.tableName, options.redeliverTimeoutSeconds, options.autoSetup, options.synchronous) == ("default", "messenger_messages", 3600, true, "FULL"))
    }

    @Test("values are read from strings")
    func values() throws {
        let options = try SQLiteTransportOptions(["queue_name": "mail", "table_name": "jobs_2", "redeliver_timeout": "5", "auto_setup": "false", "synchronous": "normal"], transport: "async")
        #expect((options.queueName, options.tableName, options.redeliverTimeoutSeconds, options.autoSetup, options.synchronous) == ("mail", "jobs_2", 5, false, "NORMAL"))
    }

    @Test("bad options are errors naming the transport and the option", arguments: [
        (["queue_nme": "x"], "unknown option \"queue_nme\""),
        (["table_name": "x; DROP TABLE y"], "table_name"),
        (["redeliver_timeout": "soon"], "redeliver_timeout"),
        (["auto_setup": "maybe"], "auto_setup"),
        (["synchronous": "always"], "synchronous"),
    ])
    func invalid(options: [String: String], expected: String) {
        let error = #expect(throws: MessengerError.self) { try SQLiteTransportOptions(options, transport: "async") }
        #expect(error?.description.contains("transport \"async\"") == true)
        #expect(error?.description.contains(expected) == true)
    }

    @Test("relative DSN paths resolve against the project directory, absolute ones stay")
    func paths() async throws {
        let factory = SQLiteTransportFactory(baseDirectory: "/srv/app")
        let serializer = JSONSerializer(registry: .numbered)
        let relative = try factory.makeTransport(TransportDefinition(name: "a", dsn: try DSN(parsing: "sqlite://var/m.sqlite")), serializer: serializer, logger: .init(label: "t"))
        #expect((relative as? SQLiteTransport)?.connection.path == "/srv/app/var/m.sqlite")
        let absolute = try factory.makeTransport(TransportDefinition(name: "b", dsn: try DSN(parsing: "sqlite:///tmp/x.sqlite?queue_name=q")), serializer: serializer, logger: .init(label: "t"))
        #expect((absolute as? SQLiteTransport)?.connection.path == "/tmp/x.sqlite")
        #expect((absolute as? SQLiteTransport)?.options.queueName == "q")
        // Transports on one file share a connection only when they ask for the same settings.
        let impatient = try factory.makeTransport(TransportDefinition(name: "d", dsn: try DSN(parsing: "sqlite://var/m.sqlite?busy_timeout=50")), serializer: serializer, logger: .init(label: "t"))
        let sibling = try factory.makeTransport(TransportDefinition(name: "e", dsn: try DSN(parsing: "sqlite://var/m.sqlite?queue_name=other")), serializer: serializer, logger: .init(label: "t"))
        #expect((impatient as? SQLiteTransport)?.connection.busyTimeoutMilliseconds == 50)
        #expect((relative as? SQLiteTransport)?.connection === (sibling as? SQLiteTransport)?.connection)
        #expect((relative as? SQLiteTransport)?.connection !== (impatient as? SQLiteTransport)?.connection)
        #expect(throws: MessengerError.self) {
            try factory.makeTransport(TransportDefinition(name: "c", dsn: try DSN(parsing: "sqlite://")), serializer: serializer, logger: .init(label: "t"))
        }
    }
}
