import ArgumentParser
import Foundation
import Logging
import Synchronization

/// `-v`, `-vv`, `-q`: how much the command logs; `--log-format` (or `LOG_FORMAT`): how.
public struct Verbosity: ParsableArguments {
    public init() {}

    @Flag(name: .short, help: "Log more: -v each message, -vv debug details.")
    var verbose: Int

    @Flag(name: .shortAndLong, help: "Log errors only.")
    var quiet = false

    @Option(help: "How log lines are written: human, or json (one object per line). Default: LOG_FORMAT, else human.")
    var logFormat: LogFormat?

    public func validate() throws {
        _ = try LogFormat.fromEnvironment(ProcessInfo.processInfo.environment)
    }

    /// The format asked for: the option, else `LOG_FORMAT`, else human.
    var format: LogFormat {
        logFormat ?? (try? LogFormat.fromEnvironment(ProcessInfo.processInfo.environment)) ?? .human
    }

    var level: Logger.Level {
        if quiet { return .error }
        switch verbose {
        case 0: return .notice
        case 1: return .info
        default: return .debug
        }
    }

    private static let bootstrapped = Mutex(false)

    /// Installs the console log handler at this level and in this format (once per process) and
    /// returns a logger.
    public func logger(_ label: String) -> Logger {
        let (level, format) = (self.level, self.format)
        let first = Self.bootstrapped.withLock { done in defer { done = true }; return !done }
        if first { LoggingSystem.bootstrap { ConsoleLogHandler(label: $0, level: level, format: format) } }
        return Logger(label: label)
    }
}
