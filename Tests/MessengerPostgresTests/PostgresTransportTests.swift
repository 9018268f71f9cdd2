import Foundation
import Logging
import Messenger
import MessengerPostgres
import MessengerTestSupport
import Synchronization
import Testing

@Suite("PostgreSQL transport", .serialized, .timeLimit(.minutes(2)))
struct PostgresTransportTests {
    @Test("four workers' connections draining one table claim every row exactly once")
    func exactlyOnce() async throws {
        let fixture = try PostgresFixture()
        let producer = fixture.transport()
        _ = try await producer.send(contentsOf: (1...3000).map { Envelope(Numbered(number: $0)) })
        let consumers = (0..<4).map { _ in fixture.transport() }
        // Every consumer holds a first batch before any goes on, so that all of them drain together.
        let started = Barrier(parties: consumers.count)
        let claimed = try await withThrowingTaskGroup(of: [Int].self) { group in
            for consumer in consumers {
                group.addTask {
                    var mine: [Int] = []
                    while true {
                        let batch = try await consumer.get(limit: 13)
                        if mine.isEmpty { await started.arrive() }
                        if batch.isEmpty { return mine }
                        mine += numbers(batch)
                        for envelope in batch { try await consumer.ack(envelope) }
                    }
                }
            }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        for consumer in consumers { try await consumer.flush() }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 3000)
        #expect(Set(all).count == 3000)
        #expect(claimed.filter { !$0.isEmpty }.count == 4)
        #expect(try await producer.statistics().total == 0)
        await fixture.drop()
    }

    @Test("send(contentsOf:) stores a batch in one statement, with ids and delays")
    func batchSend() async throws {
        let fixture = try PostgresFixture()
        let queue = fixture.transport()
        let sent = try await queue.send(contentsOf: [
            Envelope(Numbered(number: 1)), Envelope(Numbered(number: 2), stamps: [DelayStamp(milliseconds: 60_000)]),
            Envelope(Numbered(number: 3)),
        ])
        #expect(Set(sent.compactMap { $0.last(TransportMessageIdStamp.self)?.id }).count == 3)
        let stats = try await queue.statistics()
        #expect((stats.total, stats.ready, stats.delayed) == (3, 2, 1))
        #expect(numbers(try await queue.get(limit: 10)) == [1, 3])
        await fixture.drop()
    }

    @Test("a worker whose lease ran out (killed) loses its claims: another worker takes them, counted as a new delivery")
    func deadWorkerReclaimed() async throws {
        let fixture = try PostgresFixture()
        let dying = fixture.transport()
        _ = try await dying.send(Envelope(Numbered(number: 1)))
        let held = try await dying.get(limit: 1)
        #expect(numbers(held) == [1])
        // While the first worker lives, its message stays with it.
        #expect(try await fixture.transport().get(limit: 1).isEmpty)
        try await fixture.kill(dying)
        let survivor = fixture.transport()
        let taken = try await survivor.get(limit: 1)
        #expect(numbers(taken) == [1])
        #expect(taken.first?.last(DeliveryCountStamp.self)?.count == 2)
        // The late acknowledgement of the first owner deletes nothing.
        try await dying.ack(held[0])
        try await dying.flush()
        #expect(try await survivor.statistics().inFlight == 1)
        await fixture.drop()
    }

    @Test("a worker whose lease ran out while it lived (frozen, cut off) finds out at its next renewal: a message another worker took meanwhile is not started")
    func lapsedLease() async throws {
        let fixture = try PostgresFixture { $0.workerLeaseSeconds = 2 }
        let queue = fixture.transport()
        _ = try await queue.send(Envelope(Numbered(number: 1)))
        let held = try await queue.get(limit: 1)
        let other = fixture.transport()
        // The lease runs out; should a renewal come first, it runs out again.
        var taken: [Envelope] = []
        while taken.isEmpty {
            try await fixture.expireLeases()
            taken = try await other.get(limit: 1)
        }
        #expect(numbers(taken) == [1])
        // The next renewal (within 400 ms) finds the lease had run out and compares the claims.
        var lost = false
        while !lost {
            lost = queue.isClaimLost(held[0])
            if !lost { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(lost)
        await other.close()
        await queue.close()
        await fixture.drop()
    }

    @Test("a claim older than redeliver_timeout is taken again even though its worker lives")
    func redeliverTimeout() async throws {
        let fixture = try PostgresFixture { $0.redeliverTimeoutSeconds = 30 }
        let slow = fixture.transport()
        let other = fixture.transport()
        _ = try await slow.send(Envelope(Numbered(number: 1)))
        _ = try await slow.get(limit: 1)
        try await slow.connection.execute("UPDATE \(fixture.options.tableName) SET delivered_at = delivered_at - interval '31 seconds'")
        #expect(numbers(try await other.get(limit: 1)) == [1])
        await fixture.drop()
    }

    @Test("an idle receiver is woken by LISTEN/NOTIFY when a message is stored, and again after its LISTEN connection is killed")
    func notifications() async throws {
        let fixture = try PostgresFixture()
        var (receiver, sender, iterator) = try await fixture.listeningReceiver()
        let idleWait = try #require(receiver.idleWaitWhileListening)
        #expect(idleWait >= .milliseconds(800) && idleWait <= .milliseconds(1000), "check_delayed_interval less up to a fifth")
        _ = try await sender.send(Envelope(Numbered(number: 1)))
        await iterator.next()
        #expect(numbers(try await receiver.get(limit: 10)) == [1])
        // A delayed message is not announced: it is picked up when due.
        _ = try await sender.send(Envelope(Numbered(number: 2), stamps: [DelayStamp(milliseconds: 3_600_000)]))
        let due = try #require(try await receiver.nextAvailableDate())
        #expect(due.timeIntervalSinceNow > 3500)

        let admin = fixture.connection()
        let killed = try await admin.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1", [.text("LISTEN \"\(fixture.options.tableName)\"")])
        #expect(killed.rows.first?.first == "1")
        await iterator.next()  // reconnected
        _ = try await sender.send(Envelope(Numbered(number: 3)))
        await iterator.next()
        await receiver.close()
        await admin.close()
        await fixture.drop()
    }

    @Test("while another transaction of the queue is notifying, a dispatch does not notify; an idle listening worker still starts it, by its poll")
    func notifyOnlyOnePerQueueAtATime() async throws {
        let fixture = try PostgresFixture { $0.checkDelayedIntervalMilliseconds = 200 }
        let (receiver, sender) = (fixture.transport(), fixture.transport())
        try await receiver.setup()
        let table = fixture.options.tableName
        let fence = "\(table)_fence"
        let reader = try NotificationReader(info: fixture.info, channels: [table, fence])
        // Another dispatching transaction, in the middle of notifying the queue: it holds the lock.
        let notifier = fixture.connection()
        try await notifier.execute("BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('\(table) notify default', 0))")
        _ = try await sender.send(Envelope(Numbered(number: 1)))
        try await notifier.execute("ROLLBACK")
        _ = try await sender.send(Envelope(Numbered(number: 2)))
        try await notifier.execute("NOTIFY \"\(fence)\"")
        // In commit order: had the first dispatch notified, there would be two before the fence.
        #expect(try reader.channels(before: fence) == [table], "one notification, the second dispatch's")

        // A worker that listens and is idle: a message stored without a notification is started by
        // its poll (check_delayed_interval).
        let wakeups = AsyncStream.makeStream(of: Void.self)
        await receiver.startWakeUps { wakeups.continuation.yield() }
        var iterator = wakeups.stream.makeAsyncIterator()
        await iterator.next()  // connected
        #expect(numbers(try await receiver.get(limit: 10)) == [1, 2])
        try await notifier.execute("BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('\(table) notify default', 0))")
        _ = try await sender.send(Envelope(Numbered(number: 3)))
        let worker = Worker(transports: [WorkerTransport(name: "async", transport: receiver)], bus: MessageBus(registry: .numbered, senders: SendersLocator(routing: [:], senders: [:]), allowNoHandlers: true),
                            options: WorkerOptions(limit: 1, sleep: .milliseconds(10)))
        #expect(await worker.run() == .messageLimit, "started without a notification")
        try await notifier.execute("ROLLBACK")
        await notifier.close()
        await receiver.close()
        await sender.close()
        await fixture.drop()
    }

    @Test("a message dispatched inside a transaction is stored if and only if the transaction commits")
    func transactionalDispatch() async throws {
        let fixture = try PostgresFixture()
        let queue = fixture.transport()
        try await queue.setup()
        let app = fixture.connection()
        try await app.execute("CREATE TABLE IF NOT EXISTS \(fixture.options.tableName)_orders (id int)")
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await app.withTransaction {
                try await app.query("INSERT INTO \(fixture.options.tableName)_orders VALUES (1)")
                _ = try await queue.send(Envelope(Numbered(number: 1)))
                throw Abort()
            }
        }
        #expect(try await queue.statistics().total == 0)
        try await app.withTransaction {
            try await app.query("INSERT INTO \(fixture.options.tableName)_orders VALUES (2)")
            _ = try await queue.send(Envelope(Numbered(number: 2)))
        }
        #expect(numbers(try await queue.get(limit: 10)) == [2])
        let orders = try await app.query("SELECT id FROM \(fixture.options.tableName)_orders")
        #expect(orders.rows == [["2"]])
        try await app.execute("DROP TABLE \(fixture.options.tableName)_orders")
        await app.close()
        await fixture.drop()
    }

    @Test("while a transaction is open, another task cannot slip statements into it")
    func transactionOwnership() async throws {
        let fixture = try PostgresFixture()
        let app = fixture.connection()
        let inside = AsyncStream.makeStream(of: Void.self)
        let proceed = AsyncStream.makeStream(of: Void.self)
        async let transaction: Void = app.withTransaction {
            inside.continuation.yield()
            var iterator = proceed.stream.makeAsyncIterator()
            await iterator.next()
        }
        var entered = inside.stream.makeAsyncIterator()
        await entered.next()
        let error = await #expect(throws: PostgresError.self) { try await app.query("SELECT 1") }
        #expect(error?.kind == .busy)
        proceed.continuation.yield()
        try await transaction
        #expect(try await app.query("SELECT 1").rows == [["1"]])
        await app.close()
    }

    @Test("after the server ends an idle session, the next call reconnects first and succeeds (nothing was sent on the dead one); the claims stay the worker's")
    func reconnects() async throws {
        let fixture = try PostgresFixture()
        let queue = fixture.transport()
        _ = try await queue.send(contentsOf: [Envelope(Numbered(number: 1)), Envelope(Numbered(number: 2))])
        #expect(numbers(try await queue.get(limit: 1)) == [1])
        try await fixture.endSessionByServer(of: queue)
        #expect(try await queue.statistics().total == 2)
        // A session lost is not a worker lost: its lease runs on, so another worker does not take its message.
        let other = fixture.transport()
        #expect(numbers(try await other.get(limit: 10)) == [2])
        await other.close()
        await queue.close()
        await fixture.drop()
    }

    @Test("an idle connection across a server restart: the first call after it succeeds")
    func idleAcrossRestart() async throws {
        let server = try await TestPostgres.startPrivateServer()
        let connection = try PostgresConnection(url: server.url)
        do {
            #expect(try await connection.query("SELECT 1").rows == [["1"]])
            try await server.restart()
            #expect(try await connection.query("SELECT 2").rows == [["2"]])
        } catch {
            await connection.close()
            await server.stop()
            throw error
        }
        await connection.close()
        await server.stop()
    }

    @Test("after a reconnection, messages another worker took meanwhile are lost to this one (not to be started); acknowledged ones are written, never handed out again")
    func claimsAfterReconnection() async throws {
        let fixture = try PostgresFixture { $0.readAhead = false }
        let queue = fixture.transport()
        _ = try await queue.send(contentsOf: (1...4).map { Envelope(Numbered(number: $0)) })
        let held = try await queue.get(limit: 4)
        #expect(numbers(held) == [1, 2, 3, 4])
        // Handled and acknowledged, the deletion not written yet.
        try await queue.ack(held[0])
        try await queue.ack(held[1])
        // The session ends and the lease runs out (the process was frozen); another worker takes one
        // message in the gap before this one reconnects: message 4, made the oldest claim so that it
        // is the one taken.
        let admin = fixture.connection()
        try await admin.query("UPDATE \(fixture.options.tableName) SET delivered_at = delivered_at - id * interval '1 second'")
        await admin.close()
        try await fixture.expireLeases()
        try await fixture.endSessionByServer(of: queue)
        let other = fixture.transport()
        #expect(numbers(try await other.get(limit: 10)) == [4])
        // This worker reconnects at its next statement and compares what it holds with the table.
        #expect(try await queue.get(limit: 10).isEmpty)
        #expect(queue.isClaimLost(held[3]))
        #expect(!queue.isClaimLost(held[2]))
        // Its acknowledgements went out with that claim: messages 3 (still its own) and 4 (the other's) remain.
        let stats = try await queue.statistics()
        #expect((stats.total, stats.inFlight) == (2, 2))
        await other.close()
        await fixture.drop()
    }

    @Test("a table held by another session: a send fails after lock_timeout, saying which table and why; released, it works again",
          arguments: [false, true])
    func lockTimeout(throughPgBouncer: Bool) async throws {
        let fixture = try PostgresFixture(throughPgBouncer: throughPgBouncer) { $0.lockTimeoutMilliseconds = 300 }
        let queue = fixture.transport()
        try await queue.setup()
        let migration = fixture.connection()
        try await migration.execute("BEGIN; LOCK TABLE \(fixture.options.tableName) IN ACCESS EXCLUSIVE MODE")
        let error = await #expect(throws: MessengerError.self) { _ = try await queue.send(Envelope(Numbered(number: 1))) }
        #expect(error?.description.contains("timed out after 300 ms waiting for a lock on table \(fixture.options.tableName)") == true)
        let claim = await #expect(throws: MessengerError.self) { _ = try await queue.get(limit: 1) }
        #expect(claim?.description.contains("lock_timeout") == true)
        try await migration.execute("ROLLBACK")
        _ = try await queue.send(Envelope(Numbered(number: 2)))
        #expect(numbers(try await queue.get(limit: 1)) == [2])
        await migration.close()
        await fixture.drop()
    }

    @Test("through PgBouncer in transaction mode: transports share server connections, statement after statement; nothing they set outlives a transaction")
    func throughTransactionPooler() async throws {
        let fixture = try PostgresFixture(throughPgBouncer: true) { $0.readAhead = false }
        let workers = (0..<4).map { _ in fixture.transport() }
        // The same statements from every transport, interleaved: a statement prepared by name on a
        // server connection would collide with another client's, or be missing on the next one.
        for round in 0..<5 {
            for (index, worker) in workers.enumerated() {
                _ = try await worker.send(Envelope(Numbered(number: round * 10 + index)))
                _ = try await worker.send(contentsOf: [Envelope(Numbered(number: 100 + round * 10 + index))])
            }
        }
        var claimed: [Int] = []
        for worker in workers {
            for envelope in try await worker.get(limit: 5) {
                claimed += numbers([envelope])
                try await worker.ack(envelope)
            }
            try await worker.flush()
        }
        #expect(claimed.count == 20)
        #expect(try await workers[0].statistics().total == 20)
        // The server connection a client gets next is the one used last (PgBouncer hands them out
        // last in, first out): a timeout set by a transport's session would show there.
        _ = try await workers[0].statistics()
        let plain = PostgresConnection(info: fixture.info)
        #expect(try await plain.query("SHOW lock_timeout", prepare: false).rows == [["0"]])
        #expect(try await plain.query("SHOW statement_timeout", prepare: false).rows == [["0"]])
        // The transport's own statements do run under its timeouts.
        #expect(try await workers[0].connection.query("SHOW lock_timeout").rows == [["2s"]])
        await plain.close()
        for worker in workers { await worker.close() }
        await fixture.drop()
    }

    @Test("through PgBouncer in transaction mode: LISTEN goes to listen_dsn, on the server itself, and wakes an idle receiver")
    func listenDSNThroughPooler() async throws {
        let fixture = try PostgresFixture(throughPgBouncer: true) { $0.listenDSN = try? TestPostgres.url }
        var (receiver, sender, iterator) = try await fixture.listeningReceiver()
        let admin = fixture.connection()
        #expect(try await admin.query("SELECT count(*) FROM pg_stat_activity WHERE query = $1", [.text("LISTEN \"\(fixture.options.tableName)\"")]).rows == [["1"]])
        #expect(receiver.idleWaitWhileListening != nil)
        _ = try await sender.send(Envelope(Numbered(number: 1)))
        await iterator.next()
        #expect(numbers(try await receiver.get(limit: 10)) == [1])
        await fixture.finish(closing: [receiver, sender], admin)
    }

    @Test("through PgBouncer in transaction mode without listen_dsn: no LISTEN; an idle receiver polls (poll_interval) and is woken by a due message only")
    func pollingThroughPooler() async throws {
        let fixture = try PostgresFixture(throughPgBouncer: true) { $0.pollIntervalMilliseconds = 50 }
        let receiver = fixture.transport()
        let sender = fixture.transport()
        let wakeups = AsyncStream.makeStream(of: ContinuousClock.Instant.self)
        await receiver.startWakeUps { wakeups.continuation.yield(.now) }
        var iterator = wakeups.stream.makeAsyncIterator()
        // Idle once its claim finds nothing.
        #expect(try await receiver.get(limit: 10).isEmpty)
        #expect(receiver.idleWaitWhileListening != nil)
        let admin = fixture.connection()
        #expect(try await admin.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND query LIKE $1", [.text("%\(fixture.options.tableName)%")]).rows == [["0"]])
        // A delayed message is not due: no wake-up for it; the due one that follows wakes it.
        _ = try await sender.send(Envelope(Numbered(number: 2), stamps: [DelayStamp(milliseconds: 3_600_000)]))
        let sent = ContinuousClock.now
        _ = try await sender.send(Envelope(Numbered(number: 1)))
        let woken = try #require(await iterator.next())
        #expect(woken >= sent)
        #expect(numbers(try await receiver.get(limit: 10)) == [1])
        await fixture.finish(closing: [receiver, sender], admin)
    }

    @Test("a password with quotes, backslashes, spaces and URL delimiters, percent-encoded in the DSN, reaches the server intact")
    func awkwardPassword() async throws {
        let admin = try PostgresConnection(url: try TestPostgres.url)
        let role = TestPostgres.uniqueTable("role")
        let password = #"p@ss/w?rd#'\ x%:"#
        try await admin.execute("CREATE ROLE \(role) LOGIN PASSWORD '\(password.replacingOccurrences(of: "'", with: "''"))'")
        let base = try DSN(parsing: try TestPostgres.url)
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let connection = try PostgresConnection(url: "postgresql://\(role):\(encoded)@\(base.host!):\(base.port!)\(base.path)")
        #expect(try await connection.query("SELECT current_user").rows == [[role]])
        await connection.close()
        try await admin.execute("DROP ROLE \(role)")
        await admin.close()
    }

    @Test("garbage rows come out as UndecodableMessage with the reason")
    func garbageRows() async throws {
        let fixture = try PostgresFixture()
        let queue = fixture.transport()
        try await queue.setup()
        try await queue.connection.execute("""
            INSERT INTO \(fixture.options.tableName) (body, headers, queue_name, available_at) VALUES
            ('{"number":', '{"type":"Test.Numbered"}', 'default', now()), ('{}', 'nope', 'default', now())
            """)
        let received = try await queue.get(limit: 10)
        let undecodable = received.compactMap { $0.message as? UndecodableMessage }
        #expect(undecodable.count == 2)
        #expect(undecodable.contains { $0.error.contains("Test.Numbered") })
        #expect(undecodable.contains { $0.error.contains("headers") })
        await fixture.drop()
    }

    @Test("a wrong password or an unknown database is a permanent error that never shows the password")
    func permanentErrors() async throws {
        let url = try TestPostgres.url
        for (bad, expected) in [(url.replacingOccurrences(of: ":messenger-test@", with: ":wrong-secret@"), "password authentication failed"),
                                (String(url.dropLast("postgres".count)) + "no_such_db", "database \"no_such_db\" does not exist")] {
            let connection = try PostgresConnection(url: bad)
            let error = await #expect(throws: PostgresError.self) { try await connection.connect() }
            #expect(error?.isPermanent == true)
            #expect(error?.description.contains(expected) == true)
            #expect(error?.description.contains("wrong-secret") == false)
            #expect(error?.description.contains("messenger-test") == false)
        }
        let refused = try PostgresConnection(url: "postgresql://u:p@127.0.0.1:1/db")
        let error = await #expect(throws: PostgresError.self) { try await refused.connect() }
        #expect(error?.isPermanent == false)
    }
}

@Suite("PostgreSQL options and DSN")
struct PostgresOptionsTests {
    @Test("transport options are stripped before libpq; safe libpq defaults are added; libpq options pass")
    func connectionInfo() throws {
        let dsn = try DSN(parsing: "postgresql://app:s3cret@db:6432/queue?queue_name=mail&sslmode=require&connect_timeout=2")
        let info = try PostgresConnectionInfo(dsn: dsn, strippingOptions: PostgresTransportOptions.known)
        #expect(info.redacted == "postgresql://app:***@db:6432/queue?queue_name=mail&sslmode=require&connect_timeout=2")
        #expect(info.databaseIdentity == "db:6432/queue")
        let options = try PostgresTransportOptions(Dictionary(dsn.query, uniquingKeysWith: { $1 }), transport: "async")
        #expect(options.queueName == "mail")
    }

    @Test("libpq parameters given as the configuration's options reach libpq, as those of the DSN do")
    func libpqParametersFromOptions() async throws {
        let definition = TransportDefinition(name: "async", dsn: try DSN(parsing: try TestPostgres.url + "?connect_timeout=3"),
                                             options: ["application_name": "from_options", "table_name": TestPostgres.uniqueTable("opts")])
        let transport = try #require(try PostgresTransportFactory().makeTransport(definition, serializer: JSONSerializer(registry: .numbered), logger: Logger(label: "t")) as? PostgresTransport)
        #expect(try await transport.connection.query("SHOW application_name").rows == [["from_options"]])
        #expect(try await transport.connection.query("SHOW lock_timeout").rows == [["2s"]])
        await transport.close()
    }

    @Test("bad options are errors naming the transport and the option", arguments: [
        (["queue": "x"], "unknown option \"queue\""), (["table_name": "Bad-Name"], "table_name"),
        (["use_notify": "perhaps"], "use_notify"), (["prefetch": "0"], "prefetch"), (["read_ahead": "maybe"], "read_ahead"), (["check_delayed_interval": "x"], "check_delayed_interval"),
        (["pooler": "pgbouncer"], "pooler must be none, session or transaction, got \"pgbouncer\""), (["worker_lease": "1"], "worker_lease"),
        (["poll_interval": "5"], "poll_interval"), (["listen_dsn": "mysql://u:s3cret-pw@db/app"], "listen_dsn is not a PostgreSQL DSN (mysql://u:***@db/app)"),
    ])
    func invalid(options: [String: String], expected: String) {
        let error = #expect(throws: MessengerError.self) { try PostgresTransportOptions(options, transport: "async") }
        #expect(error?.description.contains("transport \"async\"") == true)
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("s3cret-pw") != true)
    }

    @Test("a DSN's listen_dsn, another address with its own password, is hidden whole in logs and errors")
    func listenDSNRedacted() throws {
        let dsn = try DSN(parsing: "postgresql://app:outer-secret@pgbouncer:6432/app?pooler=transaction&listen_dsn=postgresql%3A%2F%2Fapp%3Ainner-secret%40db%3A5432%2Fapp")
        #expect(!dsn.description.contains("inner-secret"))
        #expect(!dsn.description.contains("outer-secret"))
        #expect(dsn.description.contains("listen_dsn=***"))
        let options = try PostgresTransportOptions(Dictionary(dsn.query, uniquingKeysWith: { $1 }), transport: "async")
        #expect(options.listenDSN == "postgresql://app:inner-secret@db:5432/app")
        #expect(options.pooler == .transaction)
    }
}
