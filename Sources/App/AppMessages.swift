import Mailer
import Messenger

/// The application's message types and handlers, registered into the console and the workers.
public enum AppMessages {
    /// Registers every message type and handler of the application, with the services they use: the
    /// mailer, the sender address of every mail, and the application's database.
    public static func register(into registry: inout MessageRegistry, mailer: any Mailer, mailFrom: String, database: SharedAppDatabase) {
        registry.register(SendMailHandler(mailer: mailer, from: mailFrom))
        registry.register(RecomputeRolesHandler(database: database))
        registry.register(ArchiveObsoleteRequestsHandler(database: database))
    }
}
