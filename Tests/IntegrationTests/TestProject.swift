import Foundation
import Messenger
import MessengerConsole
import MessengerSQLite
import MessengerTestSupport

/// A throw-away application project: `config/messenger.yaml`, `.env`, and its SQLite file under `var/`.
struct TestProject {
    let directory: TemporaryDirectory
    var environment: [String: String] = [:]
    /// Run the binary as this user (a test run by root that needs file permissions to bind).
    var runAs: (uid: Int, gid: Int)?

    static let defaultConfig = """
        messenger:
          failure_transport: failed
          transports:
            async:
              dsn: '%env(MESSENGER_TRANSPORT_DSN)%'
              retry_strategy: { max_retries: 2, delay: 50, jitter: 0 }
            high: 'sqlite://var/messenger.sqlite?queue_name=high'
            failed: 'sqlite://var/messenger.sqlite?queue_name=failed'
          routing:
            Messenger.Probe: async
        """

    init(config: String = defaultConfig, dotenv: String = "MESSENGER_TRANSPORT_DSN=sqlite://var/messenger.sqlite\n") throws {
        directory = try TemporaryDirectory("app-project")
        try directory.write("config/messenger.yaml", config)
        try directory.write(".env", dotenv)
    }

    var databasePath: String { directory.file("var/messenger.sqlite") }

    func run(_ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await run(arguments)
    }

    func run(_ arguments: [String], input: String? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await AppProcess.run(arguments, directory: directory.path, environment: environment, runAs: runAs, input: input)
    }

    func start(_ arguments: String...) throws -> AppProcess {
        try AppProcess(arguments, directory: directory.path, environment: environment)
    }

    /// A transport on the project's SQLite file, for dispatching from code and checking from outside.
    func transport(queue: String = "default", limits: FlowLimits = FlowLimits()) throws -> SQLiteTransport {
        var registry = MessageRegistry()
        registry.register(ProbeHandler())
        var options = SQLiteTransportOptions()
        options.queueName = queue
        return SQLiteTransport(name: queue, connection: SQLiteConnection(path: databasePath), options: options, serializer: JSONSerializer(registry: registry),
                               limits: limits)
    }

    func remove() { directory.remove() }
}

/// The probe labels a worker log reports as handled, in order.
func handledProbes(_ log: String) -> [String] {
    log.split(separator: "\n").filter { $0.contains("Probe handled") }.compactMap { line in
        line.split(separator: " ").first { $0.hasPrefix("probe.label=") }.map { String($0.dropFirst("probe.label=".count)) }
    }
}

/// The probe labels a worker log reports as started, in order.
func startedProbes(_ log: String) -> [String] {
    log.split(separator: "\n").filter { $0.contains("Probe started") }.compactMap { line in
        line.split(separator: " ").first { $0.hasPrefix("probe.label=") }.map { String($0.dropFirst("probe.label=".count)) }
    }
}

/// How many messages a worker log says it parked in `failure`: lines in full, plus those summed up
/// ("N more … were parked in failure").
func parkedCount(_ log: String, in failure: String) -> Int {
    log.split(separator: "\n").reduce(0) { count, line in
        if line.contains("Message parked in failure transport \(failure) ") { return count + 1 }
        guard line.contains("were parked in \(failure)"), let more = line.range(of: " more ") else { return count }
        let number = line[..<more.lowerBound].split(separator: " ").last.flatMap { Int($0) } ?? 0
        return count + number
    }
}

/// Decodes a command's `--format json` output.
func json<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(text.utf8))
}

struct StatsRow: Decodable {
    struct Statistics: Decodable {
        let total: Int
        let ready: Int
        let delayed: Int
        let inFlight: Int
    }
    let transport: String
    let statistics: Statistics?
}

struct FailedRow: Decodable {
    let id: String
    let type: String
    let errorType: String?
    let error: String?
    let retries: Int
    let originalTransport: String?
}
