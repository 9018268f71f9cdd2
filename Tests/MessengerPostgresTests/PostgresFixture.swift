import Messenger
import MessengerPostgres
import MessengerTestSupport

/// Transports on one fresh table of the test server; `drop()` removes it.
struct PostgresFixture {
    let info: PostgresConnectionInfo
    var options = PostgresTransportOptions()
    let serializer = JSONSerializer(registry: .numbered)

    init(_ configure: (inout PostgresTransportOptions) -> Void = { _ in }) throws {
        info = try PostgresConnectionInfo(dsn: try DSN(parsing: try TestPostgres.url))
        options.tableName = TestPostgres.uniqueTable("pg")
        configure(&options)
    }

    /// A new transport: its own connection and owner, as another worker process would have.
    func transport() -> PostgresTransport {
        PostgresTransport(name: "async", info: info, options: options, serializer: serializer)
    }

    /// A plain connection for checks and sabotage.
    func connection() -> PostgresConnection { PostgresConnection(info: info) }

    /// Ends a transport's session as a dead worker's would end, and waits until the server has let
    /// it go (its advisory lock with it).
    func endSession(of transport: PostgresTransport) async throws {
        let pid = try await transport.connection.query("SELECT pg_backend_pid()").rows[0][0]!
        await transport.connection.close()
        let admin = connection()
        while try await admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", [.text(pid)]).rows[0][0] != "0" {
            await Task.yield()
        }
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

    func drop() async {
        let connection = connection()
        try? await connection.execute("DROP TABLE IF EXISTS \(options.tableName)")
        await connection.close()
    }
}

func numbers(_ envelopes: [Envelope]) -> [Int] { envelopes.compactMap { ($0.message as? Numbered)?.number } }
