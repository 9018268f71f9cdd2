import Foundation
import Messenger
import MessengerConsole
import MessengerPostgres
import MessengerTestSupport
import Testing

/// A throw-away application project whose transports live in a fresh table of a PostgreSQL server.
struct PostgresProject {
    let project: TestProject
    /// Where the application's transports connect: the server, or PgBouncer in front of it.
    let url: String
    /// The server itself, for checks and sabotage.
    let serverURL: String
    /// The transports go through PgBouncer in transaction mode (`pooler=transaction`).
    let throughPgBouncer: Bool
    let table = TestPostgres.uniqueTable("app")

    static func config(maxRetries: Int) -> String {
        template.replacingOccurrences(of: "max_retries: 2", with: "max_retries: \(maxRetries)")
    }

    static let template = """
        messenger:
          failure_transport: failed
          transports:
            async:
              dsn: '%env(MESSENGER_TRANSPORT_DSN)%'
              retry_strategy: { max_retries: 2, delay: 50, jitter: 0 }
            failed:
              dsn: '%env(MESSENGER_TRANSPORT_DSN)%'
              options: { queue_name: failed }
          routing:
            Messenger.Probe: async
        """

    /// `extra` is added to the DSN's query, e.g. `check_delayed_interval=60000`.
    /// `failedQueue` names the failure transport's queue (tests that prune records keep theirs apart).
    /// `config` replaces the whole configuration (its transports' DSN: `%env(MESSENGER_TRANSPORT_DSN)%`).
    /// `pgbouncerURL`: the transports go through that PgBouncer (transaction mode) in front of the
    /// server at `url`.
    init(url: String? = nil, pgbouncerURL: String? = nil, extra: String = "", maxRetries: Int = 2, failedQueue: String = "failed", config: String? = nil) throws {
        serverURL = try url ?? TestPostgres.url
        throughPgBouncer = pgbouncerURL != nil
        self.url = pgbouncerURL ?? serverURL
        let extra = [extra, throughPgBouncer ? "pooler=transaction" : ""].filter { !$0.isEmpty }.joined(separator: "&")
        let config = config ?? Self.config(maxRetries: maxRetries).replacingOccurrences(of: "queue_name: failed", with: "queue_name: \(failedQueue)")
        var project = try TestProject(config: config, dotenv: "")
        project.environment["MESSENGER_TRANSPORT_DSN"] = "\(self.url)?table_name=\(table)\(extra.isEmpty ? "" : "&" + extra)"
        self.project = project
    }

    /// The project's queue, seen from the test.
    func transport(queue: String = "default", limits: FlowLimits = FlowLimits()) throws -> PostgresTransport {
        var registry = MessageRegistry()
        registry.register(ProbeHandler())
        var options = PostgresTransportOptions()
        options.tableName = table
        options.queueName = queue
        if throughPgBouncer { options.pooler = .transaction }
        return PostgresTransport(name: queue, info: try PostgresConnectionInfo(dsn: try DSN(parsing: url)), options: options, serializer: JSONSerializer(registry: registry),
                                 limits: limits)
    }

    func start(_ arguments: String...) throws -> AppProcess {
        try AppProcess(arguments, directory: project.directory.path, environment: project.environment)
    }

    func run(_ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await AppProcess.run(arguments, directory: project.directory.path, environment: project.environment)
    }

    func remove() async {
        if let connection = try? PostgresConnection(url: serverURL) {
            try? await connection.execute("DROP TABLE IF EXISTS \(table)")
            await connection.close()
        }
        project.remove()
    }
}

/// How the application reaches PostgreSQL in a test: directly, or through PgBouncer in transaction mode.
enum PostgresRoute: String, CaseIterable, CustomTestStringConvertible {
    case direct
    case pgbouncer = "through pgbouncer"
    var testDescription: String { rawValue }

    /// A project on the shared test server, by this route.
    func project(extra: String = "", maxRetries: Int = 2) throws -> PostgresProject {
        try PostgresProject(pgbouncerURL: self == .pgbouncer ? try TestPostgres.pgbouncerURL : nil, extra: extra, maxRetries: maxRetries)
    }
}

/// How many "Probe handled" lines a log holds.
func handledCount(_ log: String) -> Int { log.components(separatedBy: "Probe handled").count - 1 }
