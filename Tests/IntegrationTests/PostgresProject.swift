import Foundation
import Messenger
import MessengerConsole
import MessengerPostgres
import MessengerTestSupport

/// A throw-away application project whose transports live in a fresh table of a PostgreSQL server.
struct PostgresProject {
    let project: TestProject
    let url: String
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
    init(url: String? = nil, extra: String = "", maxRetries: Int = 2, failedQueue: String = "failed", config: String? = nil) throws {
        self.url = try url ?? TestPostgres.url
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
        if let connection = try? PostgresConnection(url: url) {
            try? await connection.execute("DROP TABLE IF EXISTS \(table)")
            await connection.close()
        }
        project.remove()
    }
}

/// How many "Probe handled" lines a log holds.
func handledCount(_ log: String) -> Int { log.components(separatedBy: "Probe handled").count - 1 }
