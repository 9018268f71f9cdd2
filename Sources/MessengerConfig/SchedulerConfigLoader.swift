import Foundation
import Scheduler
import Yams

/// Reads `config/scheduler.yaml`.
public enum SchedulerConfigLoader {
    public static let defaultPath = "config/scheduler.yaml"
    static let taskKeys = ["enabled", "cron", "timezone", "every", "from", "until", "jitter", "catch_up", "misfire_grace", "max_catch_up", "message"]

    /// Loads the file; a missing file changes nothing.
    public static func load(projectDirectory: String, environment: Environment, path: String = defaultPath) throws -> SchedulerConfiguration {
        guard let text = try ConfigFile.read(path, projectDirectory: projectDirectory) else { return SchedulerConfiguration() }
        return try parse(text, file: path, environment: environment)
    }

    /// Parses configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String, environment: Environment) throws -> SchedulerConfiguration {
        let root = try ConfigFile.compose(text, file: file)
        guard let root else { return SchedulerConfiguration() }
        guard let section = try ConfigNode(node: root, file: file, path: "").entries(allowed: ["scheduler"])["scheduler"] else {
            return SchedulerConfiguration()
        }
        let keys = try section.entries(allowed: ["state", "schedules"])
        var configuration = SchedulerConfiguration()
        if let state = keys["state"] { configuration.stateTransport = try state.string(environment) }
        for (schedule, tasks) in try keys["schedules"]?.entries() ?? [] {
            configuration.tasks[schedule] = try tasks.entries().map { name, node in (name, try parseTask(node, environment: environment)) }
        }
        return configuration
    }

    private static func parseTask(_ node: ConfigNode, environment: Environment) throws -> TaskSettings {
        let keys = try node.entries(allowed: taskKeys)
        var settings = TaskSettings(file: node.file, line: node.line, key: node.path)
        if let value = keys["enabled"] { settings.enabled = try boolean(value, environment) }
        if keys["cron"] != nil && keys["every"] != nil { throw node.error("give either cron or every, not both") }
        if let cron = keys["cron"] {
            let zoneName = try keys["timezone"]?.string(environment) ?? "UTC"
            guard let zone = TimeZone(identifier: zoneName) else { throw keys["timezone"]!.error(TriggerError.unknownTimeZone(zoneName).description) }
            let expression = try cron.string(environment)
            do { _ = try CronTrigger(expression, timeZone: zone) } catch { throw cron.error(String(describing: error)) }
            settings.trigger = .cron(expression, timeZone: zone)
        } else if let every = keys["every"] {
            let interval: TimeInterval
            do { interval = try IntervalTrigger.parseInterval(try every.string(environment)) } catch let error as TriggerError { throw every.error(error.description) }
            let from = try keys["from"].map { try date($0, environment) }
            let until = try keys["until"].map { try date($0, environment) }
            do { _ = try IntervalTrigger(every: interval, from: from ?? Date(timeIntervalSince1970: 0), until: until) } catch { throw every.error(String(describing: error)) }
            settings.trigger = .every(interval, from: from, until: until)
        } else {
            for key in ["timezone", "from", "until"] where keys[key] != nil {
                throw keys[key]!.error("\(key) applies to a trigger: give cron (with timezone) or every (with from, until) as well")
            }
        }
        if let value = keys["jitter"] { settings.jitterSeconds = try value.int(environment, in: 0...86_400) }
        if let value = keys["catch_up"] {
            let text = try value.string(environment)
            guard let policy = CatchUpPolicy(rawValue: text) else { throw value.error("expected all, last or none, got \"\(text)\"") }
            settings.catchUp = policy
        }
        if let value = keys["misfire_grace"] { settings.misfireGraceSeconds = try value.int(environment, in: 0...31 * 86_400) }
        if let value = keys["max_catch_up"] { settings.maxCatchUp = try value.int(environment, in: 1...100_000) }
        if let message = keys["message"] {
            let parts = try message.entries(allowed: ["type", "payload"])
            guard let type = parts["type"] else { throw message.error("a declared message needs its type (the message's wire name)") }
            let payload = try parts["payload"].map { try JSONValue(node: $0, environment: environment).json() } ?? "{}"
            settings.message = TaskSettings.DeclaredMessage(type: try type.string(environment), json: payload)
            if settings.trigger == nil { throw node.error("a task declared here needs a trigger: cron or every") }
        }
        return settings
    }

    static func boolean(_ node: ConfigNode, _ environment: Environment) throws -> Bool {
        let text = try node.string(environment).lowercased()
        if ["true", "1", "yes", "on"].contains(text) { return true }
        if ["false", "0", "no", "off"].contains(text) { return false }
        throw node.error("expected true or false, got \"\(text)\"")
    }

    private static func date(_ node: ConfigNode, _ environment: Environment) throws -> Date {
        let text = try node.string(environment)
        guard let date = try? Date(text, strategy: .iso8601) else { throw node.error("expected an ISO 8601 time such as 2026-01-01T00:00:00Z, got \"\(text)\"") }
        return date
    }
}

/// A YAML value turned into JSON: plain scalars keep their YAML type, quoted ones are strings.
struct JSONValue {
    let value: Any

    init(node: ConfigNode, environment: Environment) throws {
        switch node.node {
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, item) in mapping {
                guard let name = key.string else { throw node.error("keys must be plain strings") }
                object[name] = try JSONValue(node: node.child(name, item), environment: environment).value
            }
            value = object
        case .sequence(let sequence):
            value = try sequence.enumerated().map { try JSONValue(node: node.child("\($0)", $1), environment: environment).value }
        case .scalar(let scalar):
            let text = try node.string(environment)
            guard scalar.style == .plain else { value = text; return }
            if ["null", "~", ""].contains(text) { value = NSNull() } else if text == "true" || text == "false" { value = text == "true" } else if let number = Int(text) { value = number } else if let number = Double(text) { value = number } else { value = text }
        default:
            throw node.error("aliases are not supported in a message payload")
        }
    }

    func json() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
