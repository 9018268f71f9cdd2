import Mailer
import Messenger

/// The application's message types and handlers, registered into the console and the workers.
public enum AppMessages {
    /// Registers every message type and handler of the application, with the services they use: the
    /// mailer, the sender address of every mail, the application's database and its settings.
    public static func register(into registry: inout MessageRegistry, mailer: any Mailer, mailFrom: String, database: SharedAppDatabase, environment: AppEnvironment) {
        registry.register(SendMailHandler(mailer: mailer, from: mailFrom, templates: MailTemplates(environment: environment)))
        registry.register(RecomputeRolesHandler(database: database))
        registry.register(ArchiveObsoleteRequestsHandler(database: database))
        registry.register(PurgeOrphanFilesHandler(database: database, environment: environment))
        registry.register(FetchApogeeEnrollmentHandler(database: database, environment: environment))
        registry.register(RefreshAllEnrollmentsHandler(database: database))
        registry.register(SendRemindersHandler(database: database))
        registry.register(RecomputeAvisEseHandler(database: database, environment: environment))
        registry.register(ReportTechnicalErrorHandler(database: database, environment: environment))
        registry.register(SendTechnicalErrorDigestHandler(database: database, environment: environment))
        registry.register(GenerateDocumentHandler(database: database, environment: environment))
        registry.register(MessageParkedHandler())
    }
}
