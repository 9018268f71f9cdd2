import ArgumentParser
import Foundation
import Messenger
import Scheduler
import Synchronization

/// What an application embeds to get the messenger console: its message types and handlers, the
/// transports it supports, and the project directory holding `config/` and `.env`.
public struct ConsoleApplication: Sendable {
    public var registry = MessageRegistry()
    public var transportFactories = TransportFactories()
    public var stampTypes: StampTypes = {
        var types = StampTypes.builtIn
        types.register(ScheduledStamp.self)
        return types
    }()
    /// The application's schedules, consumed by the `scheduler_<name>` receivers.
    public var schedules: [any ScheduleProvider] = []
    /// The application's own commands, beside the messenger's.
    public var commands: [any ParsableCommand.Type] = []
    /// Holds `config/messenger.yaml`, `.env` and the relative SQLite files: `APP_PROJECT_DIR`, else
    /// the working directory.
    public var projectDirectory: String
    /// True for an application that means to run without `config/messenger.yaml` (every message
    /// handled when dispatched). False by default: a missing or empty file is an error, so that a
    /// mistyped `APP_PROJECT_DIR` never runs every handler in the dispatching process.
    public var runsWithoutConfiguration = false

    public init() {
        projectDirectory = ProcessInfo.processInfo.environment["APP_PROJECT_DIR"] ?? FileManager.default.currentDirectoryPath
        registry.register(ProbeHandler())
    }

    /// Parses the command line and runs the command; exits the process.
    ///
    /// SIGPIPE is ignored: a worker whose log pipe closes (a restarted log collector) keeps working,
    /// its lines dropped, instead of dying in the middle of a message.
    public func run(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        signal(SIGPIPE, SIG_IGN)
        ConsoleContext.application.withLock { $0 = self }
        await MessengerCommand.main(arguments)
        exit(0)
    }
}

/// The application the commands run in (argument-parser commands are built without arguments).
enum ConsoleContext {
    static let application = Mutex<ConsoleApplication?>(nil)

    static var current: ConsoleApplication {
        get throws {
            guard let application = application.withLock({ $0 }) else {
                throw ValidationError("the console was started without an application")
            }
            return application
        }
    }
}

/// The root command: one subcommand per console command, Symfony's names, then the application's.
struct MessengerCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "app",
            abstract: "The message bus console: consume, inspect and retry messages; the application's commands.",
            subcommands: [
                ConsumeCommand.self, StopWorkersCommand.self, StatsCommand.self, SetupTransportsCommand.self,
                FailedShowCommand.self, FailedRetryCommand.self, FailedRemoveCommand.self,
                DebugMessengerCommand.self, DispatchCommand.self,
                StatusCommand.self, HistoryCommand.self, CancelCommand.self, WorkersCommand.self, PauseCommand.self, ResumeCommand.self,
                SchedulerListCommand.self, SchedulerRunCommand.self, SchedulerCronCommand.self,
            ] + (ConsoleContext.application.withLock { $0?.commands } ?? [])
        )
    }
}
