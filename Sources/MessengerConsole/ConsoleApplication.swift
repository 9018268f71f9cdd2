import ArgumentParser
import Foundation
import Logging
import Messenger
import Scheduler
import ServiceLifecycle
import Synchronization

/// What an application embeds to get the messenger console: its message types and handlers, the
/// transports it supports, and the project directory holding `config/` and `.env`.
public struct ConsoleApplication: Sendable {
    /// The application's message types and handlers (the probe's is there already).
    public var registry = MessageRegistry()
    /// The transports it can make, by DSN scheme.
    public var transportFactories = TransportFactories()
    /// The stamps read back from stored headers: the messenger's and the scheduler's, plus any the application registers.
    public var stampTypes: StampTypes = {
        var types = StampTypes.builtIn
        types.register(ScheduledStamp.self)
        return types
    }()
    /// The application's schedules, consumed by the `scheduler_<name>` receivers.
    public var schedules: [any ScheduleProvider] = []
    /// The application's own commands, beside the messenger's.
    public var commands: [any ParsableCommand.Type] = []
    /// Services that run beside every command, from before it starts until after it ends, then are
    /// shut down gracefully (an OpenTelemetry exporter, which flushes its spans then).
    public var backgroundServices: [any Service] = []
    /// How long the background services may take to shut down once the command is done (an
    /// exporter whose collector is down retries until its own timeout); then they are cancelled.
    public var backgroundShutdownLimit: Duration = .seconds(3)
    /// What serves `messenger:consume --metrics-address` (MessengerHTTP's `PrometheusExporter`);
    /// without one, the option is refused.
    public var metricsExporter: (any MetricsExporter)?
    /// Holds `config/messenger.yaml`, `.env` and the relative SQLite files: `APP_PROJECT_DIR`, else
    /// the working directory.
    public var projectDirectory: String
    /// True for an application that means to run without `config/messenger.yaml` (every message
    /// handled when dispatched). False by default: a missing or empty file is an error, so that a
    /// mistyped `APP_PROJECT_DIR` never runs every handler in the dispatching process.
    public var runsWithoutConfiguration = false

    /// An application with only the built-in probe, in `APP_PROJECT_DIR` or the working directory.
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
        guard !backgroundServices.isEmpty else { exit(await Self.execute(arguments)) }
        // The services get no signal of their own: the command handles them, then they stop.
        var configuration = ServiceGroupConfiguration(
            services: backgroundServices.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            logger: Logger(label: "messenger.services") { _ in SwiftLogNoOpLogHandler() }
        )
        configuration.maximumGracefulShutdownDuration = backgroundShutdownLimit
        configuration.maximumCancellationDuration = .seconds(1)
        let group = ServiceGroup(configuration: configuration)
        let services = Task { try await group.run() }
        let status = await Self.execute(arguments)
        await group.triggerGracefulShutdown()
        _ = await services.result
        exit(status)
    }

    /// Runs the command `arguments` name; its exit status. What it prints on an error, and where, is
    /// what argument-parser's own `main` prints.
    static func execute(_ arguments: [String]) async -> Int32 {
        do {
            var command = try MessengerCommand.parseAsRoot(arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            return 0
        } catch {
            let code = MessengerCommand.exitCode(for: error)
            let message = MessengerCommand.fullMessage(for: error)
            if !message.isEmpty {
                if code == .success { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            }
            return code.rawValue
        }
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
