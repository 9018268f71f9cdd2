import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Messenger
import MessengerConfig
import MessengerConsole
@testable import MessengerHTTP
import MessengerSQLite
import NIOCore
import Scheduler

/// A real application for the HTTP tests: SQLite transports in a throw-away project folder (async,
/// failed; probes routed to async), a schedule with one recurring probe, an admin and a viewer.
struct DashboardFixture {
    let directory: URL
    let kernel: MessengerKernel
    let access: OperatorAccess
    let application: Application<RouterResponder<DashboardRequestContext>>

    static let admin = ("ada", "admin-password")
    static let viewer = ("vic", "viewer-password")

    struct ProbeSchedule: ScheduleProvider {
        func schedule() throws -> Schedule {
            try Schedule(name: "default", [.cron("0 4 * * *", Probe(label: "nightly"), name: "nightly-probe")])
        }
    }

    /// `probeRoute`: the transport probes are routed to; nil handles them at once (sync).
    /// `extraTransports`: more transports' YAML, indented by four spaces as the others.
    init(options: DashboardOptions = DashboardOptions(), probeRoute: String? = "async", extraTransports: String = "") async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("config"), withIntermediateDirectories: true)
        try """
            messenger:
              failure_transport: failed
              transports:
                async:
                  dsn: 'sqlite://var/messenger.sqlite'
                  options: { queue_name: async }
                  retry_strategy: { max_retries: 0 }
                failed:
                  dsn: 'sqlite://var/messenger.sqlite'
                  options: { queue_name: failed }
            \(extraTransports)
              routing:
                \(probeRoute.map { "Messenger.Probe: \($0)" } ?? "{}")
            """.write(to: directory.appendingPathComponent("config/messenger.yaml"), atomically: true, encoding: .utf8)
        var registry = MessageRegistry()
        registry.register(ProbeHandler())
        var factories = TransportFactories()
        factories.register(SQLiteTransportFactory(baseDirectory: directory.path))
        var stamps = StampTypes.builtIn
        stamps.register(ScheduledStamp.self)
        let environment = Environment([:])
        let configuration = try MessengerConfigLoader.load(projectDirectory: directory.path, environment: environment)
        let logger = Logger(label: "test")
        kernel = try MessengerKernel(configuration: configuration, registry: registry, factories: factories, stampTypes: stamps,
                                     schedules: [ProbeSchedule()], environment: environment, projectDirectory: directory.path, logger: logger)
        access = OperatorAccess(store: kernel.credentialStore!, loginAttempts: 3)
        try await access.saveUser(Self.admin.0, password: Self.admin.1, role: .admin)
        try await access.saveUser(Self.viewer.0, password: Self.viewer.1, role: .viewer)
        let router = Router(context: DashboardRequestContext.self, options: .autoGenerateHeadEndpoints)
        try MessengerDashboard(kernel: kernel, access: access, options: options, logger: logger).addRoutes(to: router)
        application = Application(router: router)
    }

    func close() async {
        await kernel.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A worker of a fixture transport that handles what waits, then stops.
    func consume(_ transport: String = "async") async throws {
        let worker = Worker(transports: [try kernel.workerTransport(named: transport)], bus: kernel.bus, options: WorkerOptions(stopWhenEmpty: true),
                            logger: Logger(label: "worker"), serializer: kernel.serializer)
        _ = await worker.run()
    }

    static func basic(_ user: (String, String)) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user.0):\(user.1)".utf8).base64EncodedString()]
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}

extension TestResponse {
    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }

    var text: String { String(buffer: body) }
}
