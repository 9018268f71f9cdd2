import Messenger
@_spi(Testing) import MessengerPostgres
import MessengerTestSupport

/// Transports on one fresh table of the test server; `drop()` removes it.
struct PostgresFixture {
    /// Where the transports connect: the server, or the PgBouncer in front of it.
    let info: PostgresConnectionInfo
    /// The server itself, for checks and sabotage.
    let serverInfo: PostgresConnectionInfo
    var options = PostgresTransportOptions()
    let serializer = JSONSerializer(registry: .numbered)

    /// `throughPgBouncer`: the transports go through PgBouncer in transaction mode (`pooler=transaction`).
    init(throughPgBouncer: Bool = false, _ configure: (inout PostgresTransportOptions) -> Void = { _ in }) throws {
        serverInfo = try PostgresConnectionInfo(dsn: try DSN(parsing: try TestPostgres.url))
        info = throughPgBouncer ? try PostgresConnectionInfo(dsn: try DSN(parsing: try TestPostgres.pgbouncerURL)) : serverInfo
        if throughPgBouncer { options.pooler = .transaction }
        options.tableName = TestPostgres.uniqueTable("pg")
        // Renewed every two minutes: no renewal comes while a test runs, so that the test decides
        // when a lease runs out (`expireLeases`).
        options.workerLeaseSeconds = 600
        configure(&options)
    }

    /// A new transport: its own connection and owner, as another worker process would have.
    func transport() -> PostgresTransport {
        PostgresTransport(name: "async", info: info, options: options, serializer: serializer)
    }

    /// A plain connection for checks and sabotage.
    func connection() -> PostgresConnection { PostgresConnection(info: serverInfo) }

    /// Stops a transport as a killed worker stops (nothing written, its lease left to run out),
    /// then has the lease run out, as it would `worker_lease` seconds later.
    func kill(_ transport: PostgresTransport) async throws {
        await transport.halt()
        try await expireLeases()
    }

    /// Has the leases of the workers holding rows of this table run out (as a frozen or cut-off
    /// process's would): time moves on for their claims too, made before the leases ran out.
    func expireLeases() async throws {
        let admin = connection()
        try await admin.execute("""
            UPDATE messenger_claim_leases SET expires_at = now() - interval '1 second'
            WHERE owner IN (SELECT claimed_by FROM \(options.tableName) WHERE claimed_by IS NOT NULL);
            UPDATE \(options.tableName) SET delivered_at = least(delivered_at, now() - interval '2 seconds') WHERE claimed_by IS NOT NULL
            """)
        await admin.close()
    }

    /// Has the server end a transport's session (as a restart or an administrator would), and waits
    /// until it is gone: the transport's connection is left to find out by itself.
    func endSessionByServer(of transport: PostgresTransport) async throws {
        let pid = try await transport.connection.query("SELECT pg_backend_pid()").rows[0][0]!
        let admin = connection()
        try await admin.query("SELECT pg_terminate_backend($1::int)", [.text(pid)])
        while try await admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", [.text(pid)]).rows[0][0] != "0" {
            await Task.yield()
        }
        await admin.close()
    }

    /// A receiver that listens, its wake-ups on the iterator (the one that follows its first
    /// connection already taken), and a sender on the same table.
    func listeningReceiver() async throws -> (receiver: PostgresTransport, sender: PostgresTransport, wakeups: AsyncStream<Void>.Iterator) {
        let receiver = transport()
        let sender = transport()
        try await receiver.setup()
        let wakeups = AsyncStream.makeStream(of: Void.self)
        await receiver.startWakeUps { wakeups.continuation.yield() }
        var iterator = wakeups.stream.makeAsyncIterator()
        await iterator.next()
        return (receiver, sender, iterator)
    }

    /// Closes the transports and connections a test made, then drops the table.
    func finish(closing transports: [PostgresTransport], _ connections: PostgresConnection...) async {
        for transport in transports { await transport.close() }
        for connection in connections { await connection.close() }
        await drop()
    }

    func drop() async {
        let connection = connection()
        try? await connection.execute("DROP TABLE IF EXISTS \(options.tableName)")
        await connection.close()
    }
}

func numbers(_ envelopes: [Envelope]) -> [Int] { envelopes.compactMap { ($0.message as? Numbered)?.number } }
