import Foundation
import Messenger
@testable import MessengerPostgres
import MessengerTestSupport
import Testing

@Suite("PostgreSQL set-up", .timeLimit(.minutes(2)))
struct PostgresSetupTests {
    /// A database of its own on the test server (nothing set up in it yet); dropped by `body`'s end.
    func withFreshDatabase(_ body: (String) async throws -> Void) async throws {
        let name = "setup_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection(url: try TestPostgres.url)
        try await admin.execute("CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: try TestPostgres.url))
        components.path = "/" + name
        do {
            try await body(try #require(components.string))
        } catch {
            try? await admin.execute("DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
        try await admin.execute("DROP DATABASE \(name) WITH (FORCE)")
        await admin.close()
    }

    @Test("workers starting together on a new database queue their set-ups; those after the first create only their own table, even while other sessions write records")
    func concurrentSetups() async throws {
        try await withFreshDatabase { url in
            let info = try PostgresConnectionInfo(dsn: try DSN(parsing: url))
            // Another session holds the set-up lock: every transport's set-up waits behind it.
            let other = PostgresConnection(info: info)
            try await other.query("SELECT pg_advisory_lock(hashtext('messenger setup'))")
            let transports = (0..<4).map { index in
                var options = PostgresTransportOptions()
                options.tableName = "queue_\(index)"
                options.lockTimeoutMilliseconds = 1000
                return PostgresTransport(name: "q\(index)", info: info, options: options, serializer: JSONSerializer(registry: .numbered))
            }
            let setups = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for transport in transports { group.addTask { try await transport.setup() } }
                    try await group.waitForAll()
                }
            }
            // pg_locks lists every database's locks: count this database's only (other tests run set-ups too).
            while try await other.query("""
                SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """).rows[0][0] != "4" {
                await Task.yield()
            }
            // Meanwhile the shared tables come into being and a session writes a record and keeps its
            // transaction open: an index built now on messenger_records would wait for it.
            try await other.execute(PostgresRecordSchema.create)
            try await other.execute("""
                BEGIN; INSERT INTO messenger_records (id, type, transport, queue_name, status, created_at, available_at)
                VALUES ('r1', 'Test.Numbered', 'q0', 'q0', 'queued', now(), now())
                """)
            try await other.query("SELECT pg_advisory_unlock(hashtext('messenger setup'))")
            // Every set-up completes while that transaction is still open (lock_timeout is 1 s).
            try await setups.value
            for transport in transports {
                #expect(try await transport.statistics().total == 0)
                await transport.close()
            }
            try await other.execute("ROLLBACK")
            await other.close()
        }
    }

    @Test("a table whose trigger notifies on every dispatch (an earlier version's) gets the one that notifies one transaction at a time at the next start; its messages stay")
    func notifyTriggerUpgraded() async throws {
        let fixture = try PostgresFixture()
        let first = fixture.transport()
        try await first.setup()
        _ = try await first.send(Envelope(Numbered(number: 1)))
        let table = fixture.options.tableName
        let admin = fixture.connection()
        try await admin.execute("""
            CREATE OR REPLACE FUNCTION \(table)_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('\(table)', q.queue_name) FROM (SELECT DISTINCT queue_name FROM new_rows WHERE available_at <= now()) q;
                RETURN NULL;
            END $$
            """)
        let source = "SELECT prosrc LIKE '%pg_try_advisory_xact_lock%' FROM pg_proc WHERE oid = to_regproc($1)"
        #expect(try await admin.query(source, [.text("\(table)_notify")]).rows.first?.first == "f")
        let next = fixture.transport()
        _ = try await next.send(Envelope(Numbered(number: 2)))   // auto set-up at the first use
        #expect(try await admin.query(source, [.text("\(table)_notify")]).rows.first?.first == "t")
        #expect(try await next.statistics().total == 2)
        await admin.close()
        await first.close()
        await next.close()
        await fixture.drop()
    }

    @Test("throughput: each heartbeat adds the attempts finished since the previous one, per minute and worker")
    func throughputRollups() async throws {
        try await withFreshDatabase { url in
            var options = PostgresTransportOptions()
            options.tableName = "queue_t"
            let transport = PostgresTransport(name: "q", info: try PostgresConnectionInfo(dsn: try DSN(parsing: url)), options: options,
                                              serializer: JSONSerializer(registry: .numbered))
            let outcome = try await ThroughputHeartbeats.run(registry: transport, records: transport, now: Date())
            #expect((outcome.completed, outcome.failed) == (4, 5))
            #expect(outcome.alignedToHours && outcome.later.isEmpty)
            // Older than FinishedCount.keptDays: gone at the next forgetting.
            try await transport.connection.execute("UPDATE messenger_throughput SET minute = minute - interval '9 days'")
            try await transport.forgetWorkers(before: Date().addingTimeInterval(-86_400))
            #expect(try await transport.connection.query("SELECT count(*) FROM messenger_throughput").rows[0][0] == "0")
            await transport.close()
        }
    }
}
