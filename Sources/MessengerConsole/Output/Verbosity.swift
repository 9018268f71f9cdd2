import ArgumentParser
import Logging
import Synchronization

/// `-v`, `-vv`, `-q`: how much the command logs.
public struct Verbosity: ParsableArguments {
    public init() {}

    @Flag(name: .short, help: "Log more: -v each message, -vv debug details.")
    var verbose: Int

    @Flag(name: .shortAndLong, help: "Log errors only.")
    var quiet = false

    var level: Logger.Level {
        if quiet { return .error }
        switch verbose {
        case 0: return .notice
        case 1: return .info
        default: return .debug
        }
    }

    private static let bootstrapped = Mutex(false)

    /// Installs the console log handler at this level (once per process) and returns a logger.
    public func logger(_ label: String) -> Logger {
        let level = self.level
        let first = Self.bootstrapped.withLock { done in defer { done = true }; return !done }
        if first { LoggingSystem.bootstrap { ConsoleLogHandler(label: $0, level: level) } }
        return Logger(label: label)
    }
}
