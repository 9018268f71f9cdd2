import Foundation
import Logging
import App
import AppHTTP
import Mailer
import Messenger
import MessengerConsole
import MessengerHTTP
import MessengerOpenTelemetry
import MessengerPostgres
import MessengerSQLite

var console = ConsoleApplication()
do {
    let diagnostics = Logger(label: "opentelemetry") { ConsoleLogHandler(label: $0, level: .warning, format: .human) }
    if let tracing = try OpenTelemetryTracing.bootstrapFromEnvironment(diagnostics: diagnostics) { console.backgroundServices.append(tracing) }
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(1)
}
let environment = AppEnvironment(projectDirectory: console.projectDirectory)
/// Read at the first mail, so that a mistake in it never stops other commands.
let mailer = LazyMailer(baseDirectory: console.projectDirectory) {
    guard let dsn = try environment.setting("MAILER_DSN") else {
        throw MailerConfigurationError("MAILER_DSN is not set; set it in the environment, .env.local or .env (e.g. file://var/mail)")
    }
    return dsn
}
AppMessages.register(
    into: &console.registry, mailer: mailer, mailFrom: (try? environment.setting("MAILER_FROM")) ?? "noreply@localhost",
    database: SharedAppDatabase(environment: environment), environment: environment
)
console.schedules.append(AppSchedule())
console.commands.append(contentsOf: AppCommands.all)
console.commands.append(contentsOf: MessengerHTTPCommands.all)
console.metricsExporter = PrometheusExporter()
MessengerHTTPCommands.serve(StudentSupportAPI(environment: environment))
console.transportFactories.register(SQLiteTransportFactory(baseDirectory: console.projectDirectory))
console.transportFactories.register(PostgresTransportFactory())
await console.run()
