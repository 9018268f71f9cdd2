import Foundation
import Messenger
import Yams

/// Reads `config/messenger.yaml` (top-level `messenger:` or Symfony's `framework: messenger:`).
public enum MessengerConfigLoader {
    /// The default location, relative to the project directory.
    public static let defaultPath = "config/messenger.yaml"

    /// Loads the file. A missing or empty file is an error naming its path, unless `required` is
    /// false: then it is an empty configuration (every message handled synchronously) — an
    /// application's explicit choice, never an operator's typo that runs mails in a cron line's shell.
    public static func load(projectDirectory: String, environment: Environment, path: String = defaultPath, required: Bool = true) throws -> MessengerConfiguration {
        let fullPath = ConfigFile.fullPath(path, projectDirectory: projectDirectory)
        guard let text = try ConfigFile.read(path, projectDirectory: projectDirectory) else {
            guard required else { return MessengerConfiguration() }
            throw ConfigError(file: path, "not found at \(fullPath); a project needs it to know its transports and routing (set APP_PROJECT_DIR or run from the project folder)")
        }
        let root = try ConfigFile.compose(text, file: path)
        if required, root == nil {
            throw ConfigError(file: path, "\(fullPath) is empty; it must declare messenger: transports and routing")
        }
        return try parse(root, file: path, environment: environment)
    }

    /// Parses configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String, environment: Environment) throws -> MessengerConfiguration {
        try parse(try ConfigFile.compose(text, file: file), file: file, environment: environment)
    }

    /// Parses a composed document; an empty one is an empty configuration.
    private static func parse(_ root: Node?, file: String, environment: Environment) throws -> MessengerConfiguration {
        guard let root else { return MessengerConfiguration() }
        let top = try ConfigNode(node: root, file: file, path: "").entries(allowed: ["messenger", "framework"])
        var section = top["messenger"]
        if let framework = top["framework"] {
            section = try framework.entries(allowed: ["messenger"])["messenger"] ?? section
        }
        guard let section else {
            throw ConfigError(file: file, "declares no messenger: section (nor framework: messenger:)")
        }
        return try parseMessenger(section, environment: environment)
    }

    private static func parseMessenger(_ node: ConfigNode, environment: Environment) throws -> MessengerConfiguration {
        let keys = try node.entries(allowed: ["transports", "routing", "failure_transport", "default_bus", "limits"])
        var configuration = MessengerConfiguration()
        if let bus = keys["default_bus"] { configuration.busName = try bus.string(environment) }
        var transportNodes: [String: ConfigNode] = [:]
        for (name, transport) in try keys["transports"]?.entries() ?? [] {
            configuration.transports[name] = try parseTransport(name, transport, environment: environment)
            transportNodes[name] = transport
        }
        func requireTransport(_ name: String, at node: ConfigNode) throws {
            guard configuration.transports[name] != nil else {
                let known = configuration.transports.keys.sorted().joined(separator: ", ")
                throw node.error("unknown transport \"\(name)\"; configured transports: \(known.isEmpty ? "none" : known)")
            }
        }
        if let failure = keys["failure_transport"] {
            let name = try failure.string(environment)
            try requireTransport(name, at: failure)
            configuration.failureTransport = name
        }
        for (name, transport) in configuration.transports {
            if let failure = transport.failureTransport, let node = transportNodes[name] {
                try requireTransport(failure, at: node.child("failure_transport", node.node))
            }
        }
        for (message, target) in try keys["routing"]?.entries() ?? [] {
            let names = try target.strings(environment)
            guard !names.isEmpty else { throw target.error("route \(message) names no transport") }
            for name in names { try requireTransport(name, at: target) }
            configuration.routing[message] = names
        }
        if let limits = keys["limits"] { configuration.limits = try LimitsConfigParser.parse(limits, environment: environment) }
        return configuration
    }

    private static func parseTransport(_ name: String, _ node: ConfigNode, environment: Environment) throws -> TransportConfiguration {
        func dsn(_ node: ConfigNode) throws -> DSN {
            let text = try node.string(environment)
            do { return try DSN(parsing: text) } catch { throw node.error(String(describing: error)) }
        }
        if case .scalar = node.node { return TransportConfiguration(name: name, dsn: try dsn(node)) }
        let keys = try node.entries(allowed: ["dsn", "options", "retry_strategy", "failure_transport", "serializer", "type_map"])
        guard let dsnNode = keys["dsn"] else { throw node.error("transport \"\(name)\" has no dsn") }
        var transport = TransportConfiguration(name: name, dsn: try dsn(dsnNode))
        for (option, value) in try keys["options"]?.entries() ?? [] {
            transport.options[option] = try value.string(environment)
        }
        if let retry = keys["retry_strategy"] {
            transport.retryStrategy = try parseRetryStrategy(retry, environment: environment)
        }
        if let failure = keys["failure_transport"] { transport.failureTransport = try failure.string(environment) }
        let format = try keys["serializer"].map { try $0.string(environment) } ?? "json"
        switch format {
        case "json":
            if let map = keys["type_map"] { throw map.error("type_map applies to serializer: symfony only") }
        case "symfony":
            guard let mapNode = keys["type_map"] else {
                throw node.error("transport \"\(name)\" has serializer: symfony but no type_map (PHP class or namespace ending in \\ → message type)")
            }
            var map: [String: String] = [:]
            for (phpClass, wire) in try mapNode.entries() { map[phpClass] = try wire.string(environment) }
            transport.serializer = .symfony(SymfonyTypeMap(map))
        default:
            throw keys["serializer"]!.error("unknown serializer \"\(format)\"; serializers: json, symfony")
        }
        return transport
    }

    private static func parseRetryStrategy(_ node: ConfigNode, environment: Environment) throws -> MultiplierRetryStrategy {
        let keys = try node.entries(allowed: ["max_retries", "delay", "multiplier", "max_delay", "jitter"])
        var strategy = MultiplierRetryStrategy()
        if let value = keys["max_retries"] { strategy.maxRetries = try value.int(environment, in: 0...1_000_000) }
        if let value = keys["delay"] { strategy.delayMilliseconds = try value.int(environment, in: 0...86_400_000) }
        if let value = keys["multiplier"] { strategy.multiplier = try value.double(environment, in: 1...100) }
        if let value = keys["max_delay"] { strategy.maxDelayMilliseconds = try value.int(environment, in: 0...604_800_000) }
        if let value = keys["jitter"] { strategy.jitter = try value.double(environment, in: 0...1) }
        return strategy
    }
}
