import Foundation
import Logging
import Messenger
import MessengerConfig
import Scheduler

/// Everything a command needs, built from the configuration: transports, the bus, the serializer.
public final class MessengerKernel: Sendable {
    /// `config/messenger.yaml`, read.
    public let configuration: MessengerConfiguration
    /// The message types and handlers.
    public let registry: MessageRegistry
    /// How messages are stored and read back.
    public let serializer: JSONSerializer
    /// Every configured transport, by name.
    public let transports: [String: any Transport]
    /// The bus, routing per the configuration.
    public let bus: MessageBus
    /// Where each message type is routed.
    public let senders: SendersLocator
    /// The environment the configuration was read with (`.env`, `.env.local`, process).
    public let environment: Environment
    /// Holds `config/`; relative paths start here.
    public let projectDirectory: String
    /// The application's schedules as declared in code.
    let scheduleProviders: [any ScheduleProvider]
    /// `config/scheduler.yaml`, read at the first command that needs it (a mistake in it never stops
    /// the commands that do not), then kept.
    let schedulerFile = LoadedOnce<SchedulerConfiguration>()
    /// The logger the kernel and its transports log to.
    public let logger: Logger

    /// A kernel over `configuration`, making its transports with `factories`; an error naming what cannot be built.
    public init(
        configuration: MessengerConfiguration, registry: MessageRegistry, factories: TransportFactories, stampTypes: StampTypes = .builtIn,
        schedules: [any ScheduleProvider] = [], environment: Environment = Environment([:]), projectDirectory: String = ".", logger: Logger
    ) throws {
        self.configuration = configuration
        self.scheduleProviders = schedules
        self.environment = environment
        self.projectDirectory = projectDirectory
        self.registry = registry
        self.logger = logger
        serializer = JSONSerializer(registry: registry, stampTypes: stampTypes)
        var transports: [String: any Transport] = [:]
        for (name, transport) in configuration.transports {
            let format: any Serializer
            switch transport.serializer {
            case .json: format = serializer
            case .symfony(let map): format = SymfonySerializer(registry: registry, typeMap: map, stampTypes: stampTypes)
            }
            transports[name] = try factories.makeTransport(transport.definition(limits: configuration.limits), serializer: format, logger: logger)
        }
        self.transports = transports
        senders = SendersLocator(routing: configuration.routing, senders: transports)
        bus = MessageBus(name: configuration.busName, registry: registry, senders: senders)
    }

    /// The kernel of the running console application, for application commands that dispatch.
    public static func booted(logger: Logger) throws -> MessengerKernel {
        try boot(try ConsoleContext.current, logger: logger)
    }

    /// Loads the configuration of the application's project and builds the kernel.
    static func boot(_ application: ConsoleApplication, logger: Logger) throws -> MessengerKernel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: application.projectDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            let source = ProcessInfo.processInfo.environment["APP_PROJECT_DIR"] != nil ? "APP_PROJECT_DIR" : "the working directory"
            throw ConsoleError("the project folder \(application.projectDirectory) (\(source)) does not exist or is not a folder")
        }
        let environment = try Environment.load(projectDirectory: application.projectDirectory)
        let configuration = try MessengerConfigLoader.load(projectDirectory: application.projectDirectory, environment: environment,
                                                           required: !application.runsWithoutConfiguration)
        return try MessengerKernel(
            configuration: configuration, registry: application.registry, factories: application.transportFactories, stampTypes: application.stampTypes,
            schedules: application.schedules, environment: environment, projectDirectory: application.projectDirectory, logger: logger
        )
    }

    /// A configured transport; an error naming the known ones otherwise.
    public func transport(named name: String) throws -> any Transport {
        guard let transport = transports[name] else {
            throw MessengerError(.unknownTransport, "unknown transport \"\(name)\"; configured transports: \(transports.keys.sorted().joined(separator: ", "))")
        }
        return transport
    }

    /// The names of transports that store messages (everything but `sync://`), sorted.
    public var storingTransportNames: [String] {
        transports.filter { !($0.value is SyncTransport) }.keys.sorted()
    }

    /// A transport as a worker consumes it: with its retry strategy and failure transport.
    public func workerTransport(named name: String) throws -> WorkerTransport {
        let transport = try transport(named: name)
        if transport is SyncTransport {
            throw MessengerError(.unknownTransport, "transport \"\(name)\" is sync://: its messages are handled when dispatched; there is nothing to consume")
        }
        let strategy = configuration.transports[name]?.retryStrategy ?? MultiplierRetryStrategy()
        let failure = try configuration.failureTransport(for: name).map { WorkerTransport.FailureDestination(name: $0, sender: try self.transport(named: $0)) }
        return WorkerTransport(name: name, transport: transport, retryStrategy: strategy, failureDestination: failure)
    }

    /// The failure transport to inspect: the one named, else the configured default.
    public func failureTransport(named name: String?) throws -> (String, any ListableReceiver & Transport) {
        guard let name = name ?? configuration.failureTransport else {
            throw MessengerError(.unknownTransport, "no failure transport is configured: set messenger.failure_transport in config/messenger.yaml, or pass --transport")
        }
        guard let listable = try transport(named: name) as? any ListableReceiver & Transport else {
            throw MessengerError(.notSupported, "transport \"\(name)\" cannot list its messages")
        }
        return (name, listable)
    }

    /// Stores of the stop-workers signal behind the given transports, one per shared storage.
    public func stopSignalStores(for names: [String]) -> [any StopSignalStore] {
        names.compactMap { transports[$0] as? any StopSignalStore }.uniqued(by: \.stopSignalScope)
    }

    /// Routed message names that this application cannot handle: unknown types, or types with no handler.
    public func routingProblems() -> [String] {
        configuration.routing.keys.sorted().filter { !$0.hasSuffix("*") }.compactMap { name in
            if registry.types[name] == nil { return "routing names \(name), a message type this application does not know" }
            if registry.handlers(for: name).isEmpty { return "messages \(name) are routed to \(configuration.routing[name]!.joined(separator: ", ")) but have no handler" }
            return nil
        }
    }

    /// Flushes and releases every transport.
    public func close() async {
        for transport in transports.values {
            if let closable = transport as? any ClosableTransport { await closable.close() }
        }
    }
}
