import ArgumentParser
import Synchronization

/// The console commands of the HTTP side: add them to `ConsoleApplication.commands`.
public enum MessengerHTTPCommands {
    /// `serve`, `dashboard:user` and `dashboard:token`.
    public static let all: [any ParsableCommand.Type] = [ServeCommand.self, DashboardUserCommand.self, DashboardTokenCommand.self]

    /// Has `serve` answer an application's own endpoints beside the messenger's.
    public static func serve(_ api: any ApplicationAPI) {
        applicationAPIs.withLock { $0.append(api) }
    }

    /// The application APIs `serve` answers (argument-parser commands are built without arguments).
    static let applicationAPIs = Mutex<[any ApplicationAPI]>([])
}
