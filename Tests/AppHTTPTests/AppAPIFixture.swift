import App
import AppHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Mailer
import Messenger
import MessengerConfig
import MessengerConsole
import MessengerHTTP
import MessengerPostgres
import MessengerSQLite
import MessengerTestSupport
import NIOCore
import Testing

/// The student-support application behind the HTTP server, as `app serve` mounts it: its handlers,
/// SQLite transports and its database in one throw-away project file, an admin token (the web front)
/// and a viewer.
struct AppAPIFixture {
    /// Where the transports and the application's data live (one database for both, as deployed).
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case sqlite
        case postgres
        var testDescription: String { rawValue }
    }

    let directory: URL
    /// The PostgreSQL schema of this fixture, dropped by `close()`.
    let schema: String?
    let kernel: MessengerKernel
    let environment: AppEnvironment
    let application: Application<RouterResponder<DashboardRequestContext>>
    let adminToken: String
    let viewerToken: String

    /// A mailer that accepts every mail.
    struct AcceptingMailer: Mailer {
        func send(_ email: Email) async throws -> String { "accepted" }
    }

    /// `extraRouting`: more routing lines (e.g. a type sent to a transport that fails).
    init(_ kind: Kind = .sqlite, extraTransports: String = "", extraRouting: String = "") async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("app-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("config"), withIntermediateDirectories: true)
        var dsn = "sqlite://var/messenger.sqlite"
        if kind == .postgres {
            let name = TestPostgres.uniqueTable("api")
            let admin = try PostgresConnection(url: try TestPostgres.url)
            try await admin.execute("CREATE SCHEMA \(name)")
            await admin.close()
            dsn = try TestPostgres.url + (try TestPostgres.url.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(name)"
            schema = name
        } else {
            schema = nil
        }
        try """
            messenger:
              failure_transport: failed
              transports:
                async: { dsn: '%env(MESSENGER_TRANSPORT_DSN)%', options: { queue_name: async }, retry_strategy: { max_retries: 0 } }
                failed: { dsn: '%env(MESSENGER_TRANSPORT_DSN)%', options: { queue_name: failed } }
            \(extraTransports)
              routing:
            \(extraRouting)
                'App.*': async
            """.write(to: directory.appendingPathComponent("config/messenger.yaml"), atomically: true, encoding: .utf8)
        try "MESSENGER_TRANSPORT_DSN=\(dsn)\nUNIVERSITY_NAME=\"Université de Montéval\"\nTECHNICAL_CONTACTS=tech@univ.example\n"
            .write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
        environment = AppEnvironment(projectDirectory: directory.path)
        var registry = MessageRegistry()
        AppMessages.register(into: &registry, mailer: AcceptingMailer(), mailFrom: "support@univ.example", database: SharedAppDatabase(environment: environment),
                             environment: environment)
        var factories = TransportFactories()
        factories.register(SQLiteTransportFactory(baseDirectory: directory.path))
        factories.register(PostgresTransportFactory())
        let configuration = try MessengerConfigLoader.load(projectDirectory: directory.path, environment: Environment(["MESSENGER_TRANSPORT_DSN": dsn]))
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        kernel = try MessengerKernel(configuration: configuration, registry: registry, factories: factories, environment: Environment([:]),
                                     projectDirectory: directory.path, logger: logger)
        let access = OperatorAccess(store: kernel.credentialStore!)
        adminToken = try await access.createToken("web-front", role: .admin)
        viewerToken = try await access.createToken("reader", role: .viewer)
        let router = Router(context: DashboardRequestContext.self, options: .autoGenerateHeadEndpoints)
        try MessengerDashboard(kernel: kernel, access: access, applicationAPIs: [StudentSupportAPI(environment: environment)], logger: logger)
            .addRoutes(to: router)
        application = Application(router: router)
        let database = try environment.openDatabase()
        try await AppMigrator.migrate(database)
        try await DemoData.seed(database)
        await database.close()
    }

    func close() async {
        await kernel.close()
        if let schema, let admin = try? PostgresConnection(url: try TestPostgres.url) {
            try? await admin.execute("DROP SCHEMA \(schema) CASCADE")
            await admin.close()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A worker of `async` that handles what waits, then stops.
    func consume() async throws {
        let worker = Worker(transports: [try kernel.workerTransport(named: "async")], bus: kernel.bus, options: WorkerOptions(stopWhenEmpty: true),
                            logger: Logger(label: "worker") { _ in SwiftLogNoOpLogHandler() }, serializer: kernel.serializer)
        _ = await worker.run()
    }

    /// The application's database, for a test to look into.
    func query(_ sql: String, _ parameters: [String?] = []) async throws -> [[String?]] {
        let database = try environment.openDatabase()
        let rows = try await database.query(sql, parameters)
        await database.close()
        return rows
    }

    func headers(_ token: String? = nil, json: Bool = true) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(token ?? adminToken)"]
        if json { fields[.contentType] = "application/json" }
        return fields
    }
}

extension TestResponse {
    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }

    var text: String { String(buffer: body) }
}
