import Mailer
import Messenger

/// The application's message types and handlers, registered into the console and the workers.
public enum AppMessages {
    /// Registers every message type and handler of the application, with the services they use:
    /// the mailer and the sender address of every mail.
    public static func register(into registry: inout MessageRegistry, mailer: any Mailer, mailFrom: String) {
        registry.register(SendMailHandler(mailer: mailer, from: mailFrom))
    }
}
