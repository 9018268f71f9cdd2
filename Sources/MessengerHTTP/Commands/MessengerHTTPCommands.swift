import ArgumentParser

/// The console commands of the HTTP side: add them to `ConsoleApplication.commands`.
public enum MessengerHTTPCommands {
    public static let all: [any ParsableCommand.Type] = [ServeCommand.self, DashboardUserCommand.self, DashboardTokenCommand.self]
}
