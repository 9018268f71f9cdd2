import App
import Mailer
import Messenger
import MessengerConfig
import MessengerConsole
import MessengerPostgres
import MessengerSQLite

var console = ConsoleApplication()
let project = console.projectDirectory
/// `MAILER_DSN` and `MAILER_FROM` as the configuration reads them: environment, `.env.local`, `.env`.
let setting: @Sendable (String) throws -> String? = { name in try Environment.load(projectDirectory: project)[name] }
let mailer = LazyMailer(baseDirectory: project) {
    guard let dsn = try setting("MAILER_DSN") else { throw MailerConfigurationError("MAILER_DSN is not set; set it in the environment, .env.local or .env (e.g. file://var/mail)") }
    return dsn
}
AppMessages.register(into: &console.registry, mailer: mailer, mailFrom: (try? setting("MAILER_FROM")) ?? "noreply@localhost")
console.schedules.append(AppSchedule())
console.transportFactories.register(SQLiteTransportFactory(baseDirectory: console.projectDirectory))
console.transportFactories.register(PostgresTransportFactory())
await console.run()
