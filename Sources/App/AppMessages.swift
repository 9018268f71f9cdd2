import Messenger

/// The application's message types and handlers, registered into the console and the workers.
public enum AppMessages {
    /// Registers every message type and handler of the application.
    public static func register(into registry: inout MessageRegistry) {
        // The student-support messages (SendMail, FetchApogeeEnrollment, ...) register here.
    }
}
